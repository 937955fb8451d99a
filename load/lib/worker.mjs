/**
 * What every local benchmark shares: bundle the Worker once, start it in Miniflare directly (about
 * three times faster here than `wrangler dev`'s proxy), apply the migrations, seed a catalog
 * inside SQLite, and drive it with a closed loop of keep-alive connections.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Bundles the Worker of `root` (this work tree unless given) and answers the bundle's path; `minify: false` for a profile. */
export function bundle(root = ROOT, { minify = true } = {}) {
  // Outside the repo, so neither git nor eslint ever sees the bundle.
  const outdir = root === ROOT ? path.join(os.tmpdir(), "edgeshop-bench-build") : mkdtempSync(path.join(os.tmpdir(), "edgeshop-bench-build-"));
  // Run wrangler's JS with this Node (22 under npm run), whatever `node` is first on PATH.
  const wrangler = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
  execFileSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir, ...(minify ? [] : ["--minify", "false"])], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  return path.join(outdir, "index.js");
}

/**
 * A detached work tree of `ref` in the temp directory, sharing this repository's node_modules, for
 * measuring an earlier version beside this one. Answers its path and a function that removes it.
 */
export function worktreeOf(ref) {
  const parent = mkdtempSync(path.join(os.tmpdir(), "edgeshop-ab-"));
  const dir = path.join(parent, "tree");
  execFileSync("git", ["worktree", "add", "--detach", dir, ref], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  const remove = () => {
    execFileSync("git", ["worktree", "remove", "--force", dir], { cwd: ROOT, stdio: "ignore" });
    rmSync(parent, { recursive: true, force: true });
  };
  return { dir, remove };
}

/**
 * Miniflare's request logger, on unless turned off (`logRequests`), copies every answer in its
 * JavaScript entry Worker (`new Response(response.body, response)`, header by header) on the way
 * out, even with no log to print to. Production has no such step, and the copy costs more the
 * more headers an answer has: measured in one run, a constant answer with Edgeshop's 17 headers
 * cost 0.472 ms of workerd CPU with it and 0.435 without, a bare one 0.384 and 0.401. Every
 * Worker a benchmark starts turns it off.
 */
export const MINIFLARE_QUIET = { logRequests: false };

/**
 * Local D1 and Durable Object storage on tmpfs when there is one. Miniflare keeps it under
 * os.tmpdir(), and this machine's shared disk fsyncs in milliseconds where production storage
 * does not: with it, a checkout on a variant whose object is new cost 17.4 ms of workerd CPU
 * and the spread case ran at 40 checkouts/s; on tmpfs, in the next run, 13.1 ms and 71.5/s. A
 * benchmark measures the Worker, not the disk. Call before starting Miniflare; BENCH_DISK=1 keeps
 * the disk. Answers a function that removes the directory.
 */
export function storageOnTmpfs() {
  if (!existsSync("/dev/shm") || process.env.BENCH_DISK === "1") return () => {};
  const dir = mkdtempSync("/dev/shm/edgeshop-bench-");
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}

/** Starts the bundled Worker with the given CACHE_MODE and extra bindings; answers the instance and its URL. */
export async function start(scriptPath, mode, extraBindings = {}, extraOptions = {}) {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...extraOptions,
      name: "edgeshop",
      modules: true,
      scriptPath,
      // The bundle lives in the OS temp dir; module names must not climb out of their root.
      modulesRoot: path.dirname(scriptPath),
      compatibilityDate: "2026-10-01",
      compatibilityFlags: ["nodejs_compat"],
      d1Databases: { DB: "bench-db" },
      kvNamespaces: { CACHE: "bench-kv" },
      durableObjects: {
        INVENTORY: { className: "InventoryDO", useSQLite: true },
        RATE_LIMITER: { className: "RateLimiterDO", useSQLite: true },
        GIFT_CARDS: { className: "GiftCardDO", useSQLite: true },
      },
      bindings: {
        JWT_SECRET: "bench-secret-0123456789abcdef0123456789abcdef",
        PAYMENT_WEBHOOK_SECRET: "bench",
        CACHE_MODE: mode,
        // One client address makes all the load: lift any rate limit out of the way.
        RATE_LIMIT_MULTIPLIER: "1000000",
        ...extraBindings,
      },
      // The Worker logs one JSON line per request; printing 10k lines/s would load this process.
      handleStructuredLogs: () => {},
      ...MINIFLARE_QUIET,
    }),
  );
  return { mf, url: await mf.ready };
}

export async function migrate(db, root = ROOT) {
  const dir = path.join(root, "migrations");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) {
    for (const statement of readFileSync(path.join(dir, file), "utf8").split("--> statement-breakpoint")) {
      if (statement.replace(/--.*$/gm, "").trim()) await db.prepare(statement).run();
    }
  }
}

/**
 * Seeds with three INSERT … SELECT statements over a recursive counter, so the data is made inside
 * SQLite (triggers keep the FTS index) instead of 14,000 round trips through the Miniflare proxy.
 */
export async function seed(db, PRODUCTS = 2_000, VARIANTS = 3) {
  const now = Date.now() - PRODUCTS * 1000;
  const counter = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${PRODUCTS - 1})`;
  const words = "json_extract('[\"linen\",\"oak\",\"ceramic\",\"wool\",\"steel\",\"cotton\",\"walnut\",\"glass\",\"copper\",\"bamboo\"]', '$[' || (i % 10) || ']')";
  const price = (j) => `(1000 + ((i * 37) % 9000) + ${j} * 100)`;
  await db.batch([
    db.prepare(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9)
      INSERT INTO categories (id, slug, name, position, version, created_at, updated_at)
      SELECT 'cat_bench' || i, 'bench-' || i, 'Bench ' || i, i, 1, ${now}, ${now} FROM n`),
    db.prepare(`${counter}
      INSERT INTO products (id, slug, title, description, status, category_id, tax_rate_bps, min_price, max_price, currency, version, created_at, updated_at)
      SELECT printf('prod_bench%05d', i), 'bench-product-' || i, 'Bench ' || ${words} || ' product ' || i,
        'A sturdy ' || ${words} || ' thing, number ' || i || ', for benchmarking.', 'active', 'cat_bench' || (i % 10), 2000,
        ${price(0)}, ${price(VARIANTS - 1)}, 'USD', 1, ${now} + i * 1000, ${now} + i * 1000 FROM n`),
    db.prepare(`${counter}, v(j, size, label) AS (VALUES (0, 'S', 'Small'), (1, 'M', 'Medium'), (2, 'L', 'Large'))
      INSERT INTO product_variants (id, product_id, sku, title, price, currency, options, position, version, created_at, updated_at)
      SELECT printf('var_bench%05d%d', i, j), printf('prod_bench%05d', i), 'BENCH-' || i || '-' || j, label,
        1000 + ((i * 37) % 9000) + j * 100, 'USD', json_object('size', size), j, 1, ${now}, ${now} FROM n, v`),
    db.prepare(`INSERT INTO inventory_levels (variant_id, on_hand, reserved, version, updated_at)
      SELECT id, 10 + (rowid % 50), 0, 0, ${now} FROM product_variants WHERE id LIKE 'var_bench%'`),
    // The store lists a product in a currency only through product_prices (markets): without these
    // rows every list page is empty and a "cached list" benchmark measures `{"data":[]}`.
    db.prepare(`INSERT INTO product_prices (product_id, currency, min_amount, max_amount)
      SELECT product_id, currency, min(price), max(price) FROM product_variants WHERE id LIKE 'var_bench%' GROUP BY product_id, currency`),
  ]);
  const count = await db.prepare("SELECT count(*) AS n FROM product_variants").first("n");
  if (count !== PRODUCTS * VARIANTS) throw new Error(`seed made ${count} variants`);
  const priced = await db.prepare("SELECT count(*) AS n FROM product_prices").first("n");
  if (priced !== PRODUCTS) throw new Error(`seed priced ${priced} products`);
}

export function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/**
 * Closed loop for `seconds`: CONNECTIONS workers each send the next request as soon as the last one
 * answered. `nextRequest` gives a path to GET, or a full undici request (`{path, method, headers, body}`).
 */
export async function slice(pool, nextRequest, seconds, sink, CONNECTIONS) {
  let running = true;
  const worker = async () => {
    while (running) {
      const started = performance.now();
      try {
        const next = nextRequest();
        const res = await pool.request(typeof next === "string" ? { path: next, method: "GET" } : next);
        await res.body.dump();
        if (res.statusCode !== 200) sink.errors += 1;
        const cache = res.headers["x-cache"];
        if (cache && running) sink.cache[cache] = (sink.cache[cache] ?? 0) + 1;
      } catch {
        sink.errors += 1;
      }
      if (running) sink.latencies.push(performance.now() - started);
    }
  };
  const t0 = performance.now();
  const workers = Array.from({ length: CONNECTIONS }, worker);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  running = false;
  sink.seconds += (performance.now() - t0) / 1000;
  await Promise.all(workers);
}


/**
 * CPU time of the workerd processes this benchmark started (Linux /proc; null elsewhere). On a
 * machine shared with other work, req/s swings with everyone's load; the CPU a Worker's process
 * spends per request barely moves, so it is the steadier way to compare two Workers.
 */
function childPids() {
  if (!existsSync("/proc/self/stat")) return [];
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Starts something that spawns one workerd process; answers its result, a CPU clock (ms) for that process (or null) and its pid. */
export async function withCpuClock(startIt) {
  const before = new Set(childPids());
  const result = await startIt();
  const pid = childPids().find((p) => !before.has(p));
  const clock = pid
    ? () => {
        const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
      }
    : null;
  return { result, clock, pid };
}
