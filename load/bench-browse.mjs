#!/usr/bin/env node
/**
 * The browse mix at 1,000 concurrent connections (the load the seed projects tested with), on
 * this machine: the bundled Worker in Miniflare with the production defaults (tiered cache,
 * rate limiter on with limits lifted for one load address), 2,000 products × 3 variants, and a
 * closed loop of 1,000 keep-alive connections sending list pages, searches, category pages and
 * product details. Reports throughput, p50/p95/p99 and every error, honestly: a timeout or a
 * 5xx counts, nothing is retried.
 *
 *   npm run bench:browse [-- --seconds 20 --connections 1000]
 */
import os from "node:os";
import { Pool } from "undici";
import { bundle, migrate, percentile, seed, start } from "./lib/worker.mjs";

const args = Object.fromEntries(process.argv.slice(2).join(" ").split("--").filter(Boolean).map((a) => a.trim().split(/\s+/)));
const SECONDS = Number(args.seconds ?? 20);
const CONNECTIONS = Number(args.connections ?? 1000);
const WARMUP_SECONDS = Number(args.warmup ?? 3);
const PRODUCTS = 2_000;
const WORDS = ["linen", "oak", "ceramic", "wool", "steel", "cotton", "walnut", "glass", "copper", "bamboo"];

/** 60% list pages, 25% product detail (80% of them on 200 hot products), 10% search, 5% categories. */
function nextPath(rng) {
  const r = rng();
  if (r < 0.6) {
    const sort = ["newest", "price_asc", "price_desc"][Math.floor(rng() * 3)];
    return `/api/v1/store/products?limit=20&sort=${sort}${rng() < 0.3 ? `&category=bench-${Math.floor(rng() * 10)}` : ""}`;
  }
  if (r < 0.85) {
    const product = rng() < 0.8 ? Math.floor(rng() * 200) : Math.floor(rng() * PRODUCTS);
    return `/api/v1/store/products/bench-product-${product}`;
  }
  if (r < 0.95) return `/api/v1/store/products?q=${WORDS[Math.floor(rng() * WORDS.length)]}&sort=relevance&limit=20`;
  return "/api/v1/store/categories";
}

async function run(url) {
  const pool = new Pool(url.origin, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const latencies = [];
  const statuses = {};
  let errors = 0;
  let running = true;
  const rng = Math.random;
  let measuring = false;
  const worker = async () => {
    while (running) {
      const started = performance.now();
      try {
        const res = await pool.request({ path: nextPath(rng), method: "GET" });
        await res.body.dump();
        if (!measuring) continue;
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode >= 400) errors += 1;
      } catch (error) {
        if (!measuring) continue;
        statuses[error?.code ?? "exception"] = (statuses[error?.code ?? "exception"] ?? 0) + 1;
        errors += 1;
      }
      // Requests that started during the warm-up (connections opening, caches filling) are not counted.
      if (started >= measuredFrom) latencies.push(performance.now() - started);
    }
  };
  let measuredFrom = Infinity;
  const workers = Array.from({ length: CONNECTIONS }, worker);
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));
  measuring = true;
  measuredFrom = performance.now();
  const t0 = measuredFrom;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  running = false;
  await Promise.all(workers);
  const seconds = (performance.now() - t0) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
    errors,
    errorRate: latencies.length ? errors / latencies.length : 0,
    statuses,
  };
}

const loadBefore = os.loadavg()[0];
const { mf, url } = await start(bundle(), "tiered");
try {
  const db = await mf.getD1Database("DB");
  await migrate(db);
  await seed(db, PRODUCTS, 3);
  // A short warm-up fills the caches the way a running shop has them filled.
  const warm = await fetch(new URL("/api/v1/store/products?limit=20", url)).then((r) => r.status);
  if (warm !== 200) throw new Error(`warm-up answered ${warm}`);
  const result = await run(url);
  const summary = { connections: CONNECTIONS, seconds: SECONDS, loadBefore, loadAfter: os.loadavg()[0], ...result };
  console.log(
    `[browse] ${CONNECTIONS} connections, ${SECONDS} s: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(0)} ms, p95 ${result.p95.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms, max ${result.max.toFixed(0)} ms, errors ${result.errors} (${(100 * result.errorRate).toFixed(2)}%) ${JSON.stringify(result.statuses)}`,
  );
  console.log(`BENCH_JSON ${JSON.stringify(summary)}`);
} finally {
  await mf.dispose();
}
