/**
 * The checkout benchmark's pieces, shared by `npm run bench:checkout` (load/bench-checkout.mjs) and
 * the same-run A/B of two versions (load/ab-checkout.mjs): build a work tree's bundle, start it in
 * Miniflare, migrate and seed shoppers, variants and a shipping market, and run one scenario — carts
 * filled, then every shopper checks out at once, then every winner pays at once — measuring wall
 * time and the workerd process's CPU per request.
 */
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { SignJWT } from "jose";
import { Miniflare } from "miniflare";
import { bundle as bundleScript, migrate, MINIFLARE_QUIET, ROOT, withCpuClock } from "./worker.mjs";

export { ROOT } from "./worker.mjs";

const SETTLE_MS = 2_000;
const JWT_SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
const BASE = "http://bench.local";

/**
 * What every checkout benchmark starts from: the work tree at `root` bundled (`minify: false` for a
 * profile) and running in its own Miniflare (`options` added to its own), migrated by its own
 * migrations, with the shipping market seeded. Answers the instance, its D1, its workerd's CPU
 * clock and pid (null without /proc), and `close()`, which stops it and removes its bundle.
 */
export async function startCheckoutWorker(root = ROOT, { minify = true, options = {} } = {}) {
  const outdir = dirname(bundleScript(root, { minify }));
  const { result: mf, clock, pid } = await withCpuClock(async () => {
    const instance = startWorker(outdir, options);
    await instance.ready;
    return instance;
  });
  const close = async () => {
    await mf.dispose();
    rmSync(outdir, { recursive: true, force: true });
  };
  try {
    const db = await mf.getD1Database("DB");
    await migrate(db, root);
    await seedMarket(db);
    return { mf, db, clock, pid, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function startWorker(outdir, extraOptions = {}) {
  const queues = { ORDER_EVENTS: "order-events", EMAIL_CRITICAL: "email-critical", EMAIL_BULK: "email-bulk", INVENTORY_SYNC: "inventory-sync" };
  return new Miniflare({
    workers: [workerOptions(outdir, queues)],
    // One JSON line per request would drown the report; only errors are shown.
    handleStructuredLogs: (log) => {
      if (log.level === "error") process.stderr.write(`${log.message}\n`);
    },
    ...MINIFLARE_QUIET,
    ...extraOptions,
  });
}

function workerOptions(outdir, queues) {
  const text = (value) => ({ type: "text", value });
  const vars = { JWT_SECRET, PAYMENT_WEBHOOK_SECRET: "whsec_bench", RATE_LIMIT_MULTIPLIER: "100000", ENVIRONMENT: "development", CHECKOUT_TTL_SECONDS: "900", D1_TRIPS_HEADER: "true" };
  // BENCH_LIMITER=off measures what the limiter's object call costs a checkout (never how a shop runs).
  if (process.env.BENCH_LIMITER === "off") vars.RATE_LIMIT_ENABLED = "false";
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

export async function inChunks(items, size, fn) {
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

export async function seedUsers(db, count, role, tag) {
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

export async function seedVariants(db, tag, count, stock) {
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
export async function seedMarket(db) {
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

export async function call(mf, method, path, tokenValue, body, headers = {}) {
  const started = performance.now();
  const res = await mf.dispatchFetch(`${BASE}${path}`, {
    method,
    headers: { Authorization: `Bearer ${tokenValue}`, ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  return { status: res.status, json, ms: performance.now() - started, trips: Number(res.headers.get("X-D1-Trips") ?? NaN), statements: Number(res.headers.get("X-D1-Statements") ?? NaN) };
}

export const pct = (values, p) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/**
 * One scenario: every shopper's cart is filled first and `prepare` runs (neither timed), then all
 * check out at once, then all winners pay at once.
 */
export async function scenario(mf, clock, name, shoppers, variantFor, prepare = async () => {}) {
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
    // Statements the trips ran (X-D1-Statements): locally each one also costs Miniflare's D1 its own work.
    checkoutStatements: statementsOf(winners.map(({ c }) => c)),
    refusalStatements: statementsOf(checkouts.filter((c) => c.status === 409)),
    paymentStatements: statementsOf(payments),
  };
}

/**
 * The statements a request of a phase typically ran (the median), and the most any ran when that
 * differs ("20–23"): a request that refreshes what the isolate caches (the market configuration
 * is 3 statements) runs a few more once, which the maximum alone would show as every request's cost.
 */
function statementsOf(requests) {
  if (requests.length === 0) return "–";
  const statements = requests.map((r) => r.statements);
  const [median, max] = [pct(statements, 50), pct(statements, 100)];
  return median === max ? String(median) : `${median}–${max}`;
}

/**
 * An untimed round before anything is measured: a few shoppers fill carts, check out (some
 * refused) and pay on a variant of their own, and /healthz is called. A fresh isolate's first
 * requests run V8's unoptimized code and pay its compilation, which workerd's CPU clock counts:
 * without this, whichever phase runs first (the hot SKU, /healthz) carries the warm-up of every
 * code path it is the first to use. A running shop's isolates are past that.
 */
export async function warmUp(mf, db, shoppers = 20) {
  const warm = await seedUsers(db, shoppers, "CUSTOMER", "WU");
  const [variant] = await seedVariants(db, "WU", 1, Math.floor(shoppers / 2));
  const result = await scenario(mf, null, "warm-up", warm, () => variant);
  if (result.errors5xx > 0) throw new Error(`warm-up: ${result.errors5xx} answers were 5xx`);
  await healthzRate(mf, null, 1);
}

/** /healthz req/s in the same Miniflare instance: the yardstick the checkout rates are divided by. */
export async function healthzRate(mf, clock, seconds = 3) {
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
