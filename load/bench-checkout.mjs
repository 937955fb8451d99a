#!/usr/bin/env node
/**
 * `npm run bench:checkout`: N concurrent shoppers buy the same variant (hot SKU), the same on a
 * variant split over 4 shard objects, then N buy different variants (spread: each variant's
 * InventoryDO is first called by its checkout), then the same on variants whose objects are
 * already running (spread, objects warm: as in a shop whose stock objects are in use). Reports checkouts/s
 * and payments/s, p50/p99 of checkout and payment, /healthz req/s measured in the same run and the
 * ratio of each rate to it (target ≥ 0.1×), the D1 round trips each request made (X-D1-Trips,
 * counted by the Worker when D1_TRIPS_HEADER is set) and the statements they ran
 * (X-D1-Statements), 5xx and the oversell count (must be 0), the workerd process's CPU ms per
 * checkout request, per payment and per /healthz (from /proc: steadier than req/s when other work
 * shares the machine), and writes its section of load/RESULTS.md. `npm run perf:checkout` shows
 * who spends that CPU.
 *
 * The Worker runs in Miniflare (the `miniflare` package API) on the bundle that
 * `wrangler deploy --dry-run` produces — the deployable artifact, faster to start than wrangler dev.
 * Env: BENCH_SHOPPERS (default 200), BENCH_HOT_STOCK (default shoppers / 2), BENCH_NO_WRITE=1,
 * BENCH_LIMITER=off (the limiter disabled, to measure its share; never how a shop runs).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { call, healthzRate, inChunks, ROOT, scenario, seedUsers, seedVariants, startCheckoutWorker, warmUp } from "./lib/checkout-run.mjs";
import { storageOnTmpfs } from "./lib/worker.mjs";

const N = Number(process.env.BENCH_SHOPPERS ?? 200);
const HOT_STOCK = Number(process.env.BENCH_HOT_STOCK ?? Math.floor(N / 2));
const SPREAD_STOCK = 2;
const deadline = setTimeout(() => {
  console.error("bench:checkout exceeded 3 minutes; aborting");
  process.exit(2);
}, 180_000);

async function oversold(mf, db, admin, variants, stock) {
  let over = 0;
  for (const v of variants) {
    const sold = (await db.prepare("SELECT COALESCE(SUM(quantity), 0) AS n FROM order_items WHERE variant_id = ?").bind(v).first()).n;
    const level = (await call(mf, "GET", `/api/v1/admin/inventory/${v}`, admin.token)).json;
    over += Math.max(0, sold - stock);
    if (level.onHand !== stock - sold || level.onHand < 0 || level.reserved !== 0) over += 1;
  }
  return over;
}

function report(results, meta) {
  const f = (n) => n.toFixed(1);
  const rows = results.map((r) => {
    const checkoutsPerSecond = (r.locked / r.checkoutWallMs) * 1000;
    const paymentsPerSecond = (r.completed / r.paymentWallMs) * 1000;
    return `| ${r.name} | ${r.shoppers} | ${r.locked} / ${r.refused409} | ${r.completed} | ${f(checkoutsPerSecond)} (${(checkoutsPerSecond / meta.healthz).toFixed(3)}×) | ${f(paymentsPerSecond)} (${(paymentsPerSecond / meta.healthz).toFixed(3)}×) | ${f(r.checkoutP50)} / ${f(r.checkoutP99)} | ${f(r.paymentP50)} / ${f(r.paymentP99)} | ${r.checkoutTrips} / ${r.paymentTrips} | ${r.checkoutStatements} (${r.refusalStatements}) / ${r.paymentStatements} | ${r.checkoutCpuMs.toFixed(2)} / ${r.paymentCpuMs.toFixed(2)} | ${r.errors5xx} | ${r.oversell} |`;
  });
  return [
    "<!-- bench:checkout:start -->",
    "## Checkout (`npm run bench:checkout`)",
    "",
    `Run ${meta.date} on this machine (${meta.cpus} cores shared), Worker bundle from \`wrangler deploy --dry-run\` in Miniflare ${meta.miniflare}, local D1/DO/Queues (storage on tmpfs unless BENCH_DISK=1: ${meta.storage}), RATE_LIMIT_MULTIPLIER=100000${process.env.BENCH_LIMITER === "off" ? ", **limiter off** (BENCH_LIMITER=off)" : ""}.`,
    `Every shopper's cart holds 1 unit; all shoppers check out at the same moment, then every shopper who got a 201 pays at the same moment. An untimed warm-up round (20 shoppers, 10 units) runs first.`,
    `Hot SKU: ${meta.n} shoppers for ${meta.hotStock} units of one variant (one InventoryDO serializes them); hot SKU × 4 shards: the same on a variant split over 4 objects. Spread: ${meta.n} shoppers, each on their own variant (${SPREAD_STOCK} units each), whose InventoryDO the checkout calls first (Miniflare creates it then); spread, objects warm: the same on variants whose objects an admin stock read started before the burst.`,
    `/healthz in the same instance: ${meta.healthz.toFixed(0)} req/s and ${meta.healthzCpuMs.toFixed(2)} ms of workerd CPU per request; each rate is also given as a ratio to it (target ≥ 0.1×).`,
    "",
    "| scenario | shoppers | 201 / 409 | orders | checkouts/s (× healthz) | payments/s (× healthz) | checkout p50 / p99 ms | payment p50 / p99 ms | D1 trips checkout / payment | D1 statements checkout (409) / payment (median–max) | workerd CPU ms per checkout request / payment | 5xx | oversell |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "All requests of a phase start together and share one workerd process, one local D1 and (hot SKU) one object, so each latency is mostly the time to drain the whole burst: p50 ≈ p99 is expected here, and checkouts/s is the figure to compare.",
    "Checkouts/s counts the 201s; every checkout request (a 409 too) costs a checkout's work, and the CPU column divides by all of them. workerd runs the Worker, local D1, the objects and the queues, so its CPU per request is the cost of the whole request here, and it moves far less than req/s when other work shares the machine.",
    "Oversell counts units sold beyond stock plus any variant whose authoritative level disagrees with the orders (on hand ≠ stock − sold, or units still reserved); it must be 0.",
    `Load average (1/5/15 min) when the run started: ${meta.load} (other work shared the machine).`,
    "Numbers are for one laptop-class box running everything in one process; on Cloudflare each InventoryDO runs apart, so the spread case scales out and the hot SKU is bound by one object's throughput.",
    "<!-- bench:checkout:end -->",
  ].join("\n");
}

function writeResults(section) {
  const path = join(ROOT, "load", "RESULTS.md");
  const current = existsSync(path) ? readFileSync(path, "utf8") : "# Load results\n";
  const pattern = /<!-- bench:checkout:start -->[\s\S]*<!-- bench:checkout:end -->/;
  const next = pattern.test(current) ? current.replace(pattern, section) : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}

async function main() {
  const loadAtStart = loadavg().map((l) => l.toFixed(1)).join(" / ");
  const removeStorage = storageOnTmpfs();
  const { mf, db, clock, close } = await startCheckoutWorker();
  try {
    const [admin] = await seedUsers(db, 1, "ADMIN", "A");
    const hotShoppers = await seedUsers(db, N, "CUSTOMER", "H");
    const spreadShoppers = await seedUsers(db, N, "CUSTOMER", "S");
    const shardShoppers = await seedUsers(db, N, "CUSTOMER", "K");
    const warmShoppers = await seedUsers(db, N, "CUSTOMER", "W");
    const [hot] = await seedVariants(db, "H", 1, HOT_STOCK);
    const [sharded] = await seedVariants(db, "K", 1, HOT_STOCK);
    const spread = await seedVariants(db, "S", N, SPREAD_STOCK);
    await warmUp(mf, db);
    const { rate: healthz, cpuMs: healthzCpuMs } = await healthzRate(mf, clock);
    const hotResult = await scenario(mf, clock, "hot SKU", hotShoppers, () => hot);
    hotResult.oversell = await oversold(mf, db, admin, [hot], HOT_STOCK);
    const split = await call(mf, "PUT", `/api/v1/admin/inventory/${sharded}/shards`, admin.token, { count: 4 });
    if (split.status !== 200) throw new Error(`shards: ${split.status} ${JSON.stringify(split.json)}`);
    const shardResult = await scenario(mf, clock, "hot SKU × 4 shards", shardShoppers, () => sharded);
    shardResult.oversell = await oversold(mf, db, admin, [sharded], HOT_STOCK);
    const spreadResult = await scenario(mf, clock, "spread", spreadShoppers, (i) => spread[i]);
    spreadResult.oversell = await oversold(mf, db, admin, spread, SPREAD_STOCK);
    const warmVariants = await seedVariants(db, "W", N, SPREAD_STOCK);
    const startObjects = () => inChunks(warmVariants, 50, async (v) => {
      const level = await call(mf, "GET", `/api/v1/admin/inventory/${v}`, admin.token);
      if (level.status !== 200) throw new Error(`warm-up read failed: ${level.status}`);
    });
    const warmResult = await scenario(mf, clock, "spread, objects warm", warmShoppers, (i) => warmVariants[i], startObjects);
    warmResult.oversell = await oversold(mf, db, admin, warmVariants, SPREAD_STOCK);
    const version = JSON.parse(readFileSync(join(ROOT, "node_modules", "miniflare", "package.json"), "utf8")).version;
    const meta = { storage: process.env.TMPDIR?.startsWith("/dev/shm/") ? "tmpfs" : "disk", date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC", cpus: cpus().length, load: loadAtStart, miniflare: version, n: N, hotStock: HOT_STOCK, healthz, healthzCpuMs };
    const results = [hotResult, shardResult, spreadResult, warmResult];
    const section = report(results, meta);
    console.log(section);
    console.log(`BENCH_JSON ${JSON.stringify({ hot: hotResult, sharded: shardResult, spread: spreadResult, warm: warmResult, meta })}`);
    if (!process.env.BENCH_NO_WRITE) writeResults(section);
    const failed = results.reduce((sum, r) => sum + r.oversell + r.errors5xx, 0);
    process.exitCode = failed > 0 ? 1 : 0;
  } finally {
    await close();
    removeStorage();
    clearTimeout(deadline);
  }
}

await main();
