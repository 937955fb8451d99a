#!/usr/bin/env node
/**
 * Read path against a bare Worker (issue 12): starts a bare Worker (a constant JSON body) beside
 * Edgeshop, both in Miniflare directly, and measures in interleaved slices — bare, Edgeshop
 * /healthz, the cached product list, a cached product detail — with the rate limiter ON (its real
 * policies, as a shop runs), reporting req/s and each route's ratio to the bare Worker measured
 * in the same run (median of the slices). Target: cached list and detail ≥ 0.8× bare.
 * Also the CPU each Worker's workerd process spends per request (Linux): steadier than req/s when
 * other work shares the machine, and its ratio to the bare Worker's is the cost ratio.
 * And a third Worker, "floor": a constant answer with exactly the headers and body Edgeshop sends
 * for the cached detail plus one log line like Edgeshop's; no application code at all. It is how
 * close to the bare Worker any Worker answering with Edgeshop's headers and log line can get.
 * With --base <git ref>, that version of Edgeshop runs too (its own workerd and CPU clock) and its
 * /healthz, list and detail are measured in the same interleaving: a change to the read path,
 * measured against its base in one run (rows "base: …").
 *
 *   npm run bench:reads [-- --seconds 5 --rounds 3 --connections 50 --base <git ref>]
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { Pool } from "undici";
import { bundle, migrate, MINIFLARE_QUIET, seed, slice, start, withCpuClock, worktreeOf } from "./lib/worker.mjs";

const args = Object.fromEntries(process.argv.slice(2).join(" ").split("--").filter(Boolean).map((a) => a.trim().split(/\s+/)));
const SECONDS = Number(args.seconds ?? 5);
const ROUNDS = Number(args.rounds ?? 3);
const CONNECTIONS = Number(args.connections ?? 50);

const { result: bare, clock: bareClock } = await withCpuClock(async () => {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      name: "bare",
      modules: true,
      script: process.env.BARE_BYTES ? `const body = JSON.stringify({ data: "x".repeat(${Number(process.env.BARE_BYTES)}) }); export default { fetch() { return new Response(body, { headers: { "content-type": "application/json" } }); } };` : `export default { fetch() { return Response.json({ status: "ok" }); } };`,
      compatibilityDate: "2026-10-01",
      ...MINIFLARE_QUIET,
    }),
  );
  await mf.ready;
  return mf;
});
const bareUrl = await bare.ready;
// The limiter on, with production's policies; the load comes from one address, so each slice
// uses its own client IP (a real shop's read traffic comes from many).
async function startShop(root) {
  const script = bundle(root);
  const { result, clock } = await withCpuClock(() =>
    start(script, "tiered", { RATE_LIMIT_MULTIPLIER: "1", RATE_LIMIT_STORE_READ: "1000000000/60", RATE_LIMIT_DEFAULT: "1000000000/60" }),
  );
  const db = await result.mf.getD1Database("DB");
  await migrate(db, root);
  await seed(db, 500, 3);
  return { ...result, clock, script };
}
const { mf, url, clock: shopClock } = await startShop(undefined);
const baseTree = args.base ? worktreeOf(args.base) : null;
const base = baseTree ? await startShop(baseTree.dir) : null;

// The floor Worker answers what Edgeshop answers for the cached detail, as a constant.
const DETAIL = "/api/v1/store/products/bench-product-7";
await fetch(new URL(DETAIL, url), { headers: { "cf-connecting-ip": "203.0.113.7" } }).then((r) => r.arrayBuffer());
const sample = await fetch(new URL(DETAIL, url), { headers: { "cf-connecting-ip": "203.0.113.7", "accept-encoding": "identity" } });
const floorHeaders = [...sample.headers].filter(([name]) => !["content-length", "transfer-encoding", "date"].includes(name));
const floorBody = await sample.text();
const logLine = `JSON.stringify({ level: "info", event: "request", ts: new Date().toISOString(), requestId: crypto.randomUUID(), method: "GET", route: "/api/v1/store/products/:idOrSlug", status: 200, ms: 0, cache: "HIT-MEMORY", user: null, colo: request.cf?.colo ?? null })`;
const { result: floor, clock: floorClock } = await withCpuClock(async () => {
  const instance = new Miniflare(
    convertV4MiniflareOptions({
      name: "floor",
      modules: true,
      script: `const headers = new Headers(${JSON.stringify(floorHeaders)}); const body = ${JSON.stringify(floorBody)};
        export default { fetch(request) { console.log(${logLine}); return new Response(body, { headers }); } };`,
      compatibilityDate: "2026-10-01",
      compatibilityFlags: ["nodejs_compat"],
      handleStructuredLogs: () => {},
      ...MINIFLARE_QUIET,
    }),
  );
  await instance.ready;
  return instance;
});
const floorUrl = await floor.ready;

const pools = {
  bare: new Pool(bareUrl.origin, { connections: CONNECTIONS }),
  floor: new Pool(floorUrl.origin, { connections: CONNECTIONS }),
  shop: new Pool(url.origin, { connections: CONNECTIONS }),
  ...(base ? { base: new Pool(base.url.origin, { connections: CONNECTIONS }) } : {}),
};
const get = (pool, path) => () => ({ path, method: "GET", headers: { "cf-connecting-ip": "203.0.113.7" } });
const routes = {
  bare: [pools.bare, get(pools.bare, "/")],
  "floor (constant detail answer + log line)": [pools.floor, get(pools.floor, "/")],
  healthz: [pools.shop, get(pools.shop, "/healthz")],
  "list (cached)": [pools.shop, get(pools.shop, "/api/v1/store/products?limit=20")],
  "detail (cached)": [pools.shop, get(pools.shop, DETAIL)],
  ...(base
    ? {
        [`base: healthz (${args.base})`]: [pools.base, get(pools.base, "/healthz")],
        [`base: list (cached)`]: [pools.base, get(pools.base, "/api/v1/store/products?limit=20")],
        [`base: detail (cached)`]: [pools.base, get(pools.base, DETAIL)],
      }
    : {}),
};
const samples = Object.fromEntries(Object.keys(routes).map((n) => [n, []]));
// Warm every route (caches, JIT) before measuring.
for (const [pool, next] of Object.values(routes)) await slice(pool, next, 1, { latencies: [], errors: 0, seconds: 0, cache: {} }, CONNECTIONS);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, [pool, next]] of Object.entries(routes)) {
    const sink = { latencies: [], errors: 0, seconds: 0, cache: {} };
    const clock = name === "bare" ? bareClock : name.startsWith("floor") ? floorClock : name.startsWith("base:") ? base.clock : shopClock;
    const cpuBefore = clock?.();
    await slice(pool, next, SECONDS, sink, CONNECTIONS);
    const cpuMs = clock ? (clock() - cpuBefore) / sink.latencies.length : NaN;
    samples[name].push({ rps: sink.latencies.length / sink.seconds, cpuMs, errors: sink.errors, cache: sink.cache });
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bareRps = median(samples.bare.map((s) => s.rps));
const bareCpu = median(samples.bare.map((s) => s.cpuMs));
console.log(`\nread path vs a bare Worker (${CONNECTIONS} connections, ${ROUNDS} interleaved ${SECONDS}s slices each, median; limiter on)\n`);
console.log("| route | req/s | × bare | workerd CPU ms/req | × bare (CPU) | errors | cache |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |");
for (const [name, list] of Object.entries(samples)) {
  const rps = median(list.map((s) => s.rps));
  const cpu = median(list.map((s) => s.cpuMs));
  const cache = Object.entries(list.at(-1).cache).map(([k, v]) => `${k} ${v}`).join(", ");
  console.log(`| ${name} | ${rps.toFixed(0)} | ${(rps / bareRps).toFixed(2)} | ${cpu.toFixed(3)} | ${(bareCpu / cpu).toFixed(2)} | ${list.reduce((s, x) => s + x.errors, 0)} | ${cache} |`);
}
await Promise.all(Object.values(pools).map((pool) => pool.close()));
await Promise.all([bare.dispose(), floor.dispose(), mf.dispose(), base?.mf.dispose()]);
baseTree?.remove();
if (base) rmSync(path.dirname(base.script), { recursive: true, force: true });
