#!/usr/bin/env node
/**
 * `npm run bench`: every local benchmark in one go, one after another (they share 2 cores), then
 * load/RESULTS.md rewritten from this run only: the machine, a summary table of ratios to
 * /healthz and of the targets, the hot-SKU checkout rate with its oversell count, and each
 * benchmark's own section.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./lib/worker.mjs";

const CATALOG_OUT = ".tmp/bench-catalog.md";

function run(script, args = [], env = {}) {
  console.log(`\n━━ ${script} ${args.join(" ")} ━━`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [path.join("load", script), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(result.stdout ?? "");
  const json = (result.stdout ?? "").split("\n").find((l) => l.startsWith("BENCH_JSON "));
  return {
    ok: result.status === 0,
    stdout: result.stdout ?? "",
    data: json ? JSON.parse(json.slice("BENCH_JSON ".length)) : null,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const verdict = (ok) => (ok ? "met" : "**not met**");

const catalog = run("bench-catalog.mjs", ["--out", CATALOG_OUT]);
const checkout = run("bench-checkout.mjs", [], { BENCH_NO_WRITE: "1" });
const ratelimit = run("bench-ratelimit.mjs");
const browse = run("bench-browse.mjs");

const rows = [];
const catalogRow = (mode, name) => catalog.data?.find((r) => r.mode === mode && r.name === name);
for (const mode of ["none", "memory", "kv", "tiered"]) {
  for (const name of ["list", "detail"]) {
    const r = catalogRow(mode, name);
    const target = mode === "tiered" ? (name === "list" ? 0.6 : 0.7) : null;
    rows.push([`catalog ${name}, CACHE_MODE=${mode}`, r ? `${fmt(r.rps)} req/s, p99 ${fmt(r.p99, 1)} ms` : "–", r ? `${fmt(r.ratio, 2)}× healthz` : "–", target ? `≥ ${target}× — ${verdict(r && r.ratio >= target)}` : ""]);
  }
  const g = catalogRow(mode, "graphql");
  rows.push([`GraphQL product list, CACHE_MODE=${mode}`, g ? `${fmt(g.rps)} req/s, p99 ${fmt(g.p99, 1)} ms` : "–", g ? `${fmt(g.toList, 2)}× the REST list` : "–", `≥ 0.8× — ${verdict(g && g.toList >= 0.8)}`]);
}
const rl = ratelimit.data;
if (rl) {
  const cost = (r) => 1 - r.rps / rl.off.rps;
  rows.push(["store read, limiter on (one client)", `${fmt(rl.oneKey.rps)} req/s, p99 ${fmt(rl.oneKey.p99, 1)} ms`, `cost ${fmt(100 * cost(rl.oneKey), 1)}%`, `≤ 25% — ${verdict(cost(rl.oneKey) <= 0.25)}`]);
  rows.push(["store read, limiter on (10,000 new clients)", `${fmt(rl.manyKeys.rps)} req/s, p99 ${fmt(rl.manyKeys.p99, 1)} ms`, `cost ${fmt(100 * cost(rl.manyKeys), 1)}%`, "see rate-limiter notes"]);
  rows.push(["rate-limit accuracy at the window edge", rl.accuracy.ok ? "exactly `limit` per window" : "NOT EXACT", "", verdict(rl.accuracy.ok)]);
}
const ck = checkout.data;
if (ck) {
  for (const s of [ck.hot, ck.spread]) {
    const rate = s.locked / (s.checkoutWallMs / 1000);
    rows.push([`checkout, ${s.name} (${s.shoppers} shoppers at once)`, `${fmt(rate, 1)} checkouts/s, p99 ${fmt(s.checkoutP99)} ms; payment p99 ${fmt(s.paymentP99)} ms`, `oversell ${s.oversell}, 5xx ${s.errors5xx}`, `oversell 0 — ${verdict(s.oversell === 0 && s.errors5xx === 0)}`]);
  }
}
const br = browse.data;
if (br) {
  rows.push([`browse mix, ${br.connections} connections`, `${fmt(br.rps)} req/s, p50 ${fmt(br.p50)} ms, p99 ${fmt(br.p99)} ms`, `errors ${br.errors} (${fmt(100 * br.errorRate, 2)}%)`, "reported, no target"]);
}

const cpu = os.cpus();
const catalogSection = (() => {
  try {
    return readFileSync(path.join(ROOT, CATALOG_OUT), "utf8").replace(/^# .*\n/, "");
  } finally {
    rmSync(path.join(ROOT, CATALOG_OUT), { force: true });
  }
})();
const checkoutSection = (checkout.stdout.match(/<!-- bench:checkout:start -->[\s\S]*<!-- bench:checkout:end -->/) ?? [""])[0];
const rateLines = ratelimit.stdout.split("\n").filter((l) => l.startsWith("[bench]")).join("\n");
const browseLine = browse.stdout.split("\n").find((l) => l.startsWith("[browse]")) ?? "";

const report = `# Load results

Produced by \`npm run bench\` (load/run-all.mjs) on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.
Machine: ${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, Node ${process.version}.
Every benchmark starts the bundled Worker in Miniflare directly (no \`wrangler dev\` proxy) and
runs the load generator on the same 2 cores, so absolute numbers are this machine's; ratios to
\`/healthz\` and on/off comparisons from the same run are what carry over.

| measurement | result | relative | target |
| --- | --- | --- | --- |
${rows.map((r) => `| ${r.join(" | ")} |`).join("\n")}

Runs: catalog ${catalog.seconds} s${catalog.ok ? "" : " (FAILED)"}, checkout ${checkout.seconds} s${checkout.ok ? "" : " (FAILED)"}, rate limiter ${ratelimit.seconds} s${ratelimit.ok ? "" : " (FAILED)"}, browse ${browse.seconds} s${browse.ok ? "" : " (FAILED)"}.

## Catalog (\`npm run bench:catalog\`)
${catalogSection.trim()}

## Checkout (\`npm run bench:checkout\`)
${checkoutSection.replace(/^#+ .*\n/m, "").trim()}

## Rate limiter (\`npm run bench:ratelimit\`)

\`\`\`
${rateLines}
\`\`\`

The 10,000-client case sends almost every request from an address never seen before, so each
one creates a SQLite-backed Durable Object (Miniflare makes a database per object): that is the
cost of a first request per client, not of the limiter on a returning client.

## Browse mix at ${br?.connections ?? 1000} connections (\`npm run bench:browse\`)

\`\`\`
${browseLine}
\`\`\`

At 1,000 connections the single workerd process on 2 cores is saturated, so requests queue: by
Little's law the mean wait is connections ÷ throughput (about ${br ? fmt(br.connections / br.rps, 2) : "–"} s here), and the
tail shows how unevenly a saturated event loop serves them. Errors count every non-2xx answer
and every failed request; nothing is retried.
`;
writeFileSync(path.join(ROOT, "load", "RESULTS.md"), report);
console.log("\nwrote load/RESULTS.md");
process.exitCode = [catalog, checkout, ratelimit, browse].every((r) => r.ok) ? 0 : 1;
