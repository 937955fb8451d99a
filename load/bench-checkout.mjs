#!/usr/bin/env node
/**
 * `npm run bench:checkout`: N concurrent shoppers buy the same variant (hot SKU), the same on a
 * variant split over 4 shard objects, then N buy different variants (spread: each variant's
 * InventoryDO is first called by its checkout), then the same on variants whose objects are
 * already running (spread, objects warm: as in a shop whose stock objects are in use). Reports checkouts/s
 * and payments/s, p50/p99 of checkout and payment, /healthz req/s measured in the same run and the
 * ratio of each rate to it (target ≥ 0.1×), the D1 round trips each request made (X-D1-Trips,
 * counted by the Worker when BENCH_TRIPS is set), 5xx and the oversell count (must be 0), the
 * workerd process's CPU ms per checkout request, per payment and per /healthz (from /proc: steadier
 * than req/s when other work shares the machine), and writes its section of load/RESULTS.md.
 *
 * The Worker runs in Miniflare (the `miniflare` package API) on the bundle that
 * `wrangler deploy --dry-run` produces — the deployable artifact, faster to start than wrangler dev.
 * Env: BENCH_SHOPPERS (default 200), BENCH_HOT_STOCK (default shoppers / 2), BENCH_NO_WRITE=1.
 */
import { Buffer } from "node:buffer";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { SignJWT } from "jose";
import { Miniflare } from "miniflare";
import { withCpuClock } from "./lib/worker.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const N = Number(process.env.BENCH_SHOPPERS ?? 200);
const HOT_STOCK = Number(process.env.BENCH_HOT_STOCK ?? Math.floor(N / 2));
const SPREAD_STOCK = 2;
const SETTLE_MS = 2_000;
const JWT_SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
const BASE = "http://bench.local";
const deadline = setTimeout(() => {
  console.error("bench:checkout exceeded 3 minutes; aborting");
  process.exit(2);
}, 180_000);

function bundle() {
  const outdir = mkdtempSync(join(tmpdir(), "edgeshop-bench-"));
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  return outdir;
}

function startWorker(outdir) {
  const queues = { ORDER_EVENTS: "order-events", EMAIL_CRITICAL: "email-critical", EMAIL_BULK: "email-bulk", INVENTORY_SYNC: "inventory-sync" };
  return new Miniflare({
    workers: [workerOptions(outdir, queues)],
    // One JSON line per request would drown the report; only errors are shown.
    handleStructuredLogs: (log) => {
      if (log.level === "error") process.stderr.write(`${log.message}\n`);
    },
  });
}

function workerOptions(outdir, queues) {
  const text = (value) => ({ type: "text", value });
  const vars = { JWT_SECRET, PAYMENT_WEBHOOK_SECRET: "whsec_bench", RATE_LIMIT_MULTIPLIER: "100000", ENVIRONMENT: "development", CHECKOUT_TTL_SECONDS: "900", D1_TRIPS_HEADER: "true" };
  return {
    config: {
      name: "edgeshop",
      compatibilityDate: "2026-10-01",
      compatibilityFlags: ["nodejs_compat"],
      manifest: { mainModule: "index.js", modules: { "index.js": { type: "esm", contents: readFileSync(join(outdir, "index.js"), "utf8") } } },
      env: {
        ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, text(v)])),
        DB: { type: "d1", id: "bench-db" },
        CACHE: { type: "kv", id: "bench-kv" },
        INVENTORY: { type: "durable-object", worker: "edgeshop", exportName: "InventoryDO" },
        RATE_LIMITER: { type: "durable-object", worker: "edgeshop", exportName: "RateLimiterDO" },
        GIFT_CARDS: { type: "durable-object", worker: "edgeshop", exportName: "GiftCardDO" },
        ...Object.fromEntries(Object.entries(queues).map(([binding, name]) => [binding, { type: "queue", name }])),
      },
      exports: {
        default: { type: "worker" },
        InventoryDO: { type: "durable-object", storage: "sqlite" },
        RateLimiterDO: { type: "durable-object", storage: "sqlite" },
        GiftCardDO: { type: "durable-object", storage: "sqlite" },
      },
      triggers: [{ type: "queue", name: "inventory-sync", maxBatchSize: 100, maxBatchTimeout: 1 }],
    },
  };
}

async function migrate(db) {
  const files = readdirSync(join(ROOT, "migrations")).filter((f) => f.endsWith(".sql")).sort();
  for (const file of files) {
    const statements = readFileSync(join(ROOT, "migrations", file), "utf8").split("--> statement-breakpoint");
    for (const sql of statements) if (sql.replace(/--.*$/gm, "").trim()) await db.prepare(sql).run();
  }
}

async function inChunks(items, size, fn) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map((item, j) => fn(item, i + j)));
}

function id(prefix, i) {
  return `${prefix}_BENCH${String(Date.now()).slice(-8)}${String(i).padStart(8, "0")}`;
}

async function token(userId, role) {
  return new SignJWT({ role, typ: "access" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(userId)
    .setIssuer("edgeshop")
    .setAudience("edgeshop:api")
    .setIssuedAt()
    .setExpirationTime("1h")
    .setJti(randomUUID())
    .sign(new Uint8Array(Buffer.from(JWT_SECRET, "utf8")));
}

async function seedUsers(db, count, role, tag) {
  const now = Date.now();
  const users = Array.from({ length: count }, (_, i) => ({ id: id(`usr${tag}`, i), role }));
  const batches = [];
  for (let i = 0; i < users.length; i += 50) batches.push(users.slice(i, i + 50));
  for (const batch of batches) {
    await db.batch(
      batch.map((u) =>
        db
          .prepare("INSERT INTO users (id, email, password_hash, name, role, marketing_opt_in, created_at, updated_at) VALUES (?, ?, 'x', 'Bench', ?, 0, ?, ?)")
          .bind(u.id, `${u.id.toLowerCase()}@bench.local`, u.role, now, now),
      ),
    );
  }
  return Promise.all(users.map(async (u) => ({ ...u, token: await token(u.id, role) })));
}

async function seedVariants(db, tag, count, stock) {
  const now = Date.now();
  const productId = id(`prod${tag}`, 0);
  await db
    .prepare("INSERT INTO products (id, slug, title, status, tax_rate_bps, currency, created_at, updated_at) VALUES (?, ?, ?, 'active', 800, 'USD', ?, ?)")
    .bind(productId, productId.toLowerCase(), `Bench ${tag}`, now, now)
    .run();
  const variants = Array.from({ length: count }, (_, i) => id(`var${tag}`, i));
  for (let i = 0; i < variants.length; i += 40) {
    await db.batch(
      variants.slice(i, i + 40).flatMap((v, j) => [
        db
          .prepare("INSERT INTO product_variants (id, product_id, sku, title, price, currency, position, created_at, updated_at) VALUES (?, ?, ?, ?, 1999, 'USD', ?, ?, ?)")
          .bind(v, productId, `BENCH-${tag}-${i + j}`, `V${i + j}`, i + j, now, now),
        db.prepare("INSERT INTO inventory_levels (variant_id, on_hand, reserved, version, updated_at) VALUES (?, ?, 0, 0, ?)").bind(v, stock, now),
      ]),
    );
  }
  return variants;
}

/** A default region with one flat shipping method: the seeded goods ship, so every checkout needs an address and a method. */
async function seedMarket(db) {
  const now = Date.now();
  await db.batch([
    db
      .prepare("INSERT INTO regions (code, name, currency, countries, tax_inclusive, is_default, position, version, created_at, updated_at) VALUES ('US', 'United States', 'USD', '[\"US\"]', 0, 1, 0, 1, ?, ?)")
      .bind(now, now),
    db
      .prepare(
        "INSERT INTO shipping_methods (id, region_code, name, kind, amount, weight_rates, countries, status, position, created_at, updated_at) VALUES (?, 'US', 'Standard', 'flat', 500, '[]', '[]', 'active', 0, ?, ?)",
      )
      .bind(SHIPPING_METHOD, now, now),
  ]);
}

const SHIPPING_METHOD = "shm_bench_standard";
const ADDRESS = { firstName: "Bench", lastName: "Shopper", line1: "1 Broadway", city: "New York", postalCode: "10004", province: "NY", countryCode: "US" };

async function call(mf, method, path, tokenValue, body, headers = {}) {
  const started = performance.now();
  const res = await mf.dispatchFetch(`${BASE}${path}`, {
    method,
    headers: { Authorization: `Bearer ${tokenValue}`, ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  return { status: res.status, json, ms: performance.now() - started, trips: Number(res.headers.get("X-D1-Trips") ?? NaN) };
}

const pct = (values, p) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/**
 * One scenario: every shopper's cart is filled first and `prepare` runs (neither timed), then all
 * check out at once, then all winners pay at once.
 */
async function scenario(mf, clock, name, shoppers, variantFor, prepare = async () => {}) {
  await inChunks(shoppers, 50, async (s, i) => {
    const r = await call(mf, "POST", "/api/v1/store/cart/items", s.token, { variantId: variantFor(i), quantity: 1 });
    if (r.status !== 201) throw new Error(`cart add failed: ${r.status} ${JSON.stringify(r.json)}`);
    for (const [path, body] of [["/api/v1/store/cart/shipping-address", { address: ADDRESS }], ["/api/v1/store/cart/shipping-method", { shippingMethodId: SHIPPING_METHOD }]]) {
      const shipped = await call(mf, "PUT", path, s.token, body);
      if (shipped.status !== 200) throw new Error(`${path} failed: ${shipped.status} ${JSON.stringify(shipped.json)}`);
    }
  });
  await prepare();
  // What the untimed requests left running (limiter flushes and alarms, queue consumers) ends
  // before the clock starts, so the burst's CPU is the burst's own.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const t0 = performance.now();
  const cpu0 = clock?.();
  const checkouts = await Promise.all(shoppers.map((s, i) => call(mf, "POST", "/api/v1/store/checkouts", s.token, undefined, { "Idempotency-Key": `bench-${name}-${i}` })));
  const t1 = performance.now();
  const cpu1 = clock?.();
  const unexpected = checkouts.find((c) => c.status !== 201 && c.status !== 409 && c.status < 500);
  if (unexpected) throw new Error(`checkout answered ${unexpected.status}: ${JSON.stringify(unexpected.json)}`);
  const winners = checkouts.map((c, i) => ({ c, s: shoppers[i] })).filter(({ c }) => c.status === 201);
  const payments = await Promise.all(
    winners.map(({ c, s }) => call(mf, "POST", `/api/v1/store/checkouts/${c.json.id}/payment`, s.token, { provider: "test", token: "tok_success" })),
  );
  const t2 = performance.now();
  const cpu2 = clock?.();
  const statuses = [...checkouts, ...payments].map((r) => r.status);
  return {
    name,
    shoppers: shoppers.length,
    locked: winners.length,
    refused409: checkouts.filter((c) => c.status === 409).length,
    completed: payments.filter((p) => p.status === 200 && p.json?.state === "COMPLETED").length,
    errors5xx: statuses.filter((s) => s >= 500).length,
    checkoutWallMs: t1 - t0,
    paymentWallMs: t2 - t1,
    checkoutP50: pct(checkouts.map((c) => c.ms), 50),
    checkoutP99: pct(checkouts.map((c) => c.ms), 99),
    paymentP50: pct(payments.map((p) => p.ms), 50),
    paymentP99: pct(payments.map((p) => p.ms), 99),
    // Every checkout request, a 201 or a 409, costs a whole checkout's work: divided by all of them.
    checkoutCpuMs: clock ? (cpu1 - cpu0) / shoppers.length : NaN,
    paymentCpuMs: clock && payments.length > 0 ? (cpu2 - cpu1) / payments.length : NaN,
    checkoutTrips: Math.max(...winners.map(({ c }) => c.trips)),
    paymentTrips: Math.max(...payments.map((p) => p.trips)),
  };
}

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

/** /healthz req/s in the same Miniflare instance: the yardstick the checkout rates are divided by. */
async function healthzRate(mf, clock, seconds = 3) {
  let count = 0;
  const cpu0 = clock?.();
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (performance.now() < until) {
        await (await mf.dispatchFetch(`${BASE}/healthz`)).arrayBuffer();
        count += 1;
      }
    }),
  );
  return { rate: count / seconds, cpuMs: clock ? (clock() - cpu0) / count : NaN };
}

function report(results, meta) {
  const f = (n) => n.toFixed(1);
  const rows = results.map((r) => {
    const checkoutsPerSecond = (r.locked / r.checkoutWallMs) * 1000;
    const paymentsPerSecond = (r.completed / r.paymentWallMs) * 1000;
    return `| ${r.name} | ${r.shoppers} | ${r.locked} / ${r.refused409} | ${r.completed} | ${f(checkoutsPerSecond)} (${(checkoutsPerSecond / meta.healthz).toFixed(2)}×) | ${f(paymentsPerSecond)} (${(paymentsPerSecond / meta.healthz).toFixed(2)}×) | ${f(r.checkoutP50)} / ${f(r.checkoutP99)} | ${f(r.paymentP50)} / ${f(r.paymentP99)} | ${r.checkoutTrips} / ${r.paymentTrips} | ${r.checkoutCpuMs.toFixed(2)} / ${r.paymentCpuMs.toFixed(2)} | ${r.errors5xx} | ${r.oversell} |`;
  });
  return [
    "<!-- bench:checkout:start -->",
    "## Checkout (`npm run bench:checkout`)",
    "",
    `Run ${meta.date} on this machine (${meta.cpus} cores shared), Worker bundle from \`wrangler deploy --dry-run\` in Miniflare ${meta.miniflare}, local D1/DO/Queues, RATE_LIMIT_MULTIPLIER=100000.`,
    `Every shopper's cart holds 1 unit; all shoppers check out at the same moment, then every shopper who got a 201 pays at the same moment.`,
    `Hot SKU: ${meta.n} shoppers for ${meta.hotStock} units of one variant (one InventoryDO serializes them); hot SKU × 4 shards: the same on a variant split over 4 objects. Spread: ${meta.n} shoppers, each on their own variant (${SPREAD_STOCK} units each), whose InventoryDO the checkout calls first (Miniflare creates it then); spread, objects warm: the same on variants whose objects an admin stock read started before the burst.`,
    `/healthz in the same instance: ${meta.healthz.toFixed(0)} req/s and ${meta.healthzCpuMs.toFixed(2)} ms of workerd CPU per request; each rate is also given as a ratio to it (target ≥ 0.1×).`,
    "",
    "| scenario | shoppers | 201 / 409 | orders | checkouts/s (× healthz) | payments/s (× healthz) | checkout p50 / p99 ms | payment p50 / p99 ms | D1 trips checkout / payment | workerd CPU ms per checkout request / payment | 5xx | oversell |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
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
  const outdir = bundle();
  // The CPU clock of the workerd process this instance starts (Linux /proc; null elsewhere).
  const { result: mf, clock } = await withCpuClock(async () => {
    const instance = startWorker(outdir);
    await instance.ready;
    return instance;
  });
  try {
    const db = await mf.getD1Database("DB");
    await migrate(db);
    await seedMarket(db);
    const [admin] = await seedUsers(db, 1, "ADMIN", "A");
    const hotShoppers = await seedUsers(db, N, "CUSTOMER", "H");
    const spreadShoppers = await seedUsers(db, N, "CUSTOMER", "S");
    const shardShoppers = await seedUsers(db, N, "CUSTOMER", "K");
    const warmShoppers = await seedUsers(db, N, "CUSTOMER", "W");
    const [hot] = await seedVariants(db, "H", 1, HOT_STOCK);
    const [sharded] = await seedVariants(db, "K", 1, HOT_STOCK);
    const spread = await seedVariants(db, "S", N, SPREAD_STOCK);
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
    const warmUp = () => inChunks(warmVariants, 50, async (v) => {
      const level = await call(mf, "GET", `/api/v1/admin/inventory/${v}`, admin.token);
      if (level.status !== 200) throw new Error(`warm-up read failed: ${level.status}`);
    });
    const warmResult = await scenario(mf, clock, "spread, objects warm", warmShoppers, (i) => warmVariants[i], warmUp);
    warmResult.oversell = await oversold(mf, db, admin, warmVariants, SPREAD_STOCK);
    const version = JSON.parse(readFileSync(join(ROOT, "node_modules", "miniflare", "package.json"), "utf8")).version;
    const meta = { date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC", cpus: cpus().length, load: loadAtStart, miniflare: version, n: N, hotStock: HOT_STOCK, healthz, healthzCpuMs };
    const results = [hotResult, shardResult, spreadResult, warmResult];
    const section = report(results, meta);
    console.log(section);
    console.log(`BENCH_JSON ${JSON.stringify({ hot: hotResult, sharded: shardResult, spread: spreadResult, warm: warmResult, meta })}`);
    if (!process.env.BENCH_NO_WRITE) writeResults(section);
    const failed = results.reduce((sum, r) => sum + r.oversell + r.errors5xx, 0);
    process.exitCode = failed > 0 ? 1 : 0;
  } finally {
    await mf.dispose();
    rmSync(outdir, { recursive: true, force: true });
    clearTimeout(deadline);
  }
}

await main();
