/**
 * Invariants of the store catalog's SQL: every list shape is served by an index (no full scan of
 * products or variants, checked with EXPLAIN QUERY PLAN), and a page costs exactly ONE statement
 * however many products it holds (no N+1).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildProductListSql, PRODUCT_DETAIL_SQL, type D1Like, type ListShape } from "../../src/modules/catalog/repo";
import { loadProductPage } from "../../src/modules/catalog/service";
import { createCategory, createCollection, createProduct } from "../factories/catalog";

const FULL_SCAN = /^SCAN (products|product_variants|pv)\b/;

async function plan(sql: string, params: unknown[]): Promise<string[]> {
  const rows = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
  return rows.results.map((r) => r.detail);
}

const FILTERS: Partial<ListShape>[] = [
  {},
  { category: "cat_x" },
  { collection: "col_x" },
  { minPrice: 100, maxPrice: 900 },
  { match: '"lamp"*' },
  { category: "cat_x", minPrice: 1, match: '"lamp"*' },
  { collection: "col_x", maxPrice: 5000 },
];
const SORTS = ["newest", "price_asc", "price_desc", "relevance"] as const;
// The default language, and another one (whose search also reads the translations' FTS table).
const MARKETS = [
  { region: "US", currency: "USD", locale: "en", defaultLocale: "en" },
  { region: "EU", currency: "EUR", locale: "de", defaultLocale: "en" },
];
const US = MARKETS[0]!;

function shapes(): ListShape[] {
  const out: ListShape[] = [];
  for (const market of MARKETS) {
    for (const filter of FILTERS) {
      for (const sort of SORTS) {
        if (sort === "relevance" && !filter.match) continue;
        for (const after of [undefined, [sort === "newest" ? 1 : 100, "prod_x"] as [number, string]]) {
          out.push({ ...filter, sort, after, limit: 21, market });
        }
      }
    }
  }
  return out;
}

describe("store catalog SQL", () => {
  it("never scans products or variants for any list shape or the detail", async () => {
    const offenders: string[] = [];
    for (const shape of shapes()) {
      const { sql, params } = buildProductListSql(shape);
      const details = await plan(sql, params);
      if (details.some((d) => FULL_SCAN.test(d))) offenders.push(`${JSON.stringify(shape)}: ${details.join(" | ")}`);
    }
    for (const sql of Object.values(PRODUCT_DETAIL_SQL)) {
      const detail = await plan(sql, ["EUR", "de", "prod_x"]);
      if (detail.some((d) => FULL_SCAN.test(d))) offenders.push(`detail: ${detail.join(" | ")}`);
    }
    expect(offenders).toEqual([]);
    expect(shapes().length).toBeGreaterThan(80);
    // The detector itself catches a real full scan.
    expect((await plan("SELECT id FROM products WHERE title = ?", ["x"])).some((d) => FULL_SCAN.test(d))).toBe(true);
  });

  it("builds a page of many products with exactly one D1 statement", async () => {
    const category = await createCategory();
    const collection = await createCollection();
    for (let i = 0; i < 6; i++) await createProduct({ categoryId: category.id, variants: [{}, {}, {}] });
    let statements = 0;
    const counting: D1Like = {
      prepare: (sql: string) => {
        statements += 1;
        return env.DB.prepare(sql);
      },
      batch: (list) => env.DB.batch(list),
    };
    const page = await loadProductPage(counting, { sort: "newest", category: category.id, limit: 50, market: US });
    expect(page.data).toHaveLength(6);
    expect(page.data.every((p) => p.variants.length === 3)).toBe(true);
    expect(statements).toBe(1);
    statements = 0;
    await loadProductPage(counting, { sort: "price_asc", collection: collection.id, match: '"product"*', limit: 50, market: US });
    expect(statements).toBe(1);
  });
});
