/**
 * The analyst's queries in docs/analytics.md (and the Grafana dashboard) must only use columns
 * the Worker writes for the kind of point they filter on, and the dataset it writes to.
 */
import { describe, expect, it } from "vitest";
import docs from "../../docs/analytics.md?raw";
import dashboard from "../../docs/grafana-dashboard.json";
import { EVENT_COLUMNS, REQUEST_COLUMNS } from "../../src/modules/analytics/events";

const DATASET = "edgeshop_events";
const queriesInDocs = [...docs.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
const queriesInDashboard = (dashboard.panels as { targets: { rawSql: string }[] }[]).flatMap((p) => p.targets.map((t) => t.rawSql));

function check(sql: string) {
  const kind = /blob1 = '(request|event)'/.exec(sql)?.[1];
  expect(kind, `query filters on blob1: ${sql.slice(0, 80)}`).toBeDefined();
  const columns = kind === "request" ? REQUEST_COLUMNS : EVENT_COLUMNS;
  const used = new Set(sql.match(/\b(blob|double|index)\d+\b/g));
  for (const column of used) expect(Object.keys(columns), `${column} in a ${kind} query`).toContain(column);
  expect(sql).toMatch(new RegExp(`FROM ${DATASET}\\b`));
  expect(sql).toMatch(/_sample_interval/);
  let depth = 0;
  for (const ch of sql) {
    depth += ch === "(" ? 1 : ch === ")" ? -1 : 0;
    expect(depth).toBeGreaterThanOrEqual(0);
  }
  expect(depth).toBe(0);
  expect((sql.match(/'/g) ?? []).length % 2).toBe(0);
  expect(sql).toMatch(/^\s*SELECT\b[\s\S]+\bFROM\b[\s\S]+\bWHERE\b/);
}

describe("docs/analytics.md", () => {
  it("has the queries the analysts need", () => {
    expect(queriesInDocs.length).toBeGreaterThanOrEqual(5);
    expect(docs).toMatch(/p99/);
    expect(docs).toMatch(/error rate/i);
    expect(docs).toMatch(/cache hit ratio/i);
    expect(docs).toMatch(/revenue per hour/i);
    expect(docs).toMatch(/failure reasons/i);
  });

  it("uses only columns the Worker writes, for the kind of point each query reads", () => {
    for (const sql of queriesInDocs) check(sql);
  });

  it("matches wrangler.toml's dataset", async () => {
    const toml = (await import("../../wrangler.toml?raw")).default;
    expect(toml).toContain(`dataset = "${DATASET}"`);
  });
});

describe("docs/grafana-dashboard.json", () => {
  it("charts the same queries with valid columns", () => {
    expect(queriesInDashboard.length).toBeGreaterThanOrEqual(5);
    for (const sql of queriesInDashboard) check(sql);
  });
});
