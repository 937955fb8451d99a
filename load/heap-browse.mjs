#!/usr/bin/env node
/**
 * Does the Worker's isolate heap grow under a long browse run? Starts the bundled Worker in
 * Miniflare with the V8 inspector on, drives the browse mix from many client addresses (so the
 * rate limiter and its leases see many keys), and every interval asks the inspector for the
 * Worker isolate's heap (`Runtime.getHeapUsage`, the lowest of a few readings: workerd's inspector
 * does not take a forced GC).
 * Production isolates have 128 MB; the report says where the heap settles.
 *
 *   npm run bench:heap [-- --seconds 120 --connections 200 --every 15]
 */
import { Pool, WebSocket } from "undici";
import { bundle, migrate, seed, start } from "./lib/worker.mjs";

const args = Object.fromEntries(process.argv.slice(2).join(" ").split("--").filter(Boolean).map((a) => a.trim().split(/\s+/)));
const SECONDS = Number(args.seconds ?? 120);
const CONNECTIONS = Number(args.connections ?? 200);
const EVERY = Number(args.every ?? 15);
const INSPECTOR_PORT = 9239;

async function inspector() {
  const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json();
  const target = targets.find((t) => /edgeshop/.test(t.title ?? t.id ?? "")) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  let id = 0;
  const pending = new Map();
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message.result);
    pending.delete(message.id);
  };
  const send = (method, params = {}) => new Promise((resolve) => {
    id += 1;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
  return { send, close: () => ws.close(), title: target.title };
}

const { mf, url } = await start(bundle(), "tiered", {}, { inspectorPort: INSPECTOR_PORT });
const db = await mf.getD1Database("DB");
await migrate(db);
await seed(db, 2000, 3);
const probe = await inspector();
// workerd's inspector answers getHeapUsage but not a forced GC: the lowest of a few readings
// a moment apart stands for the live heap (V8 collects the young generation constantly).
const heap = async () => {
  let low = Infinity;
  for (let i = 0; i < 5; i++) {
    low = Math.min(low, (await probe.send("Runtime.getHeapUsage")).usedSize);
    await new Promise((r) => setTimeout(r, 200));
  }
  return (low / 1024 / 1024).toFixed(1);
};
const pool = new Pool(url.origin, { connections: CONNECTIONS, pipelining: 1 });
let running = true;
let sent = 0;
const paths = (i) =>
  [`/api/v1/store/products?limit=20&sort=${["newest", "price_asc", "price_desc"][i % 3]}`, `/api/v1/store/products/bench-product-${i % 2000}`, `/api/v1/store/products?q=oak&sort=relevance&limit=20&cursor=`, "/api/v1/store/categories"][i % 4];
const worker = async (w) => {
  for (let i = w; running; i += CONNECTIONS) {
    // Many client addresses: one per 50 requests, as a crowd of shoppers would bring.
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${Math.floor(i / 50) & 255}`;
    const res = await pool.request({ path: paths(i), method: "GET", headers: { "cf-connecting-ip": ip } }).catch(() => null);
    await res?.body.dump();
    sent += 1;
  }
};
const samples = [`start ${await heap()} MB`];
const workers = Array.from({ length: CONNECTIONS }, (_, w) => worker(w));
for (let t = EVERY; t <= SECONDS; t += EVERY) {
  await new Promise((r) => setTimeout(r, EVERY * 1000));
  samples.push(`${t}s ${await heap()} MB (${sent} requests)`);
}
running = false;
await Promise.all(workers);
await pool.close();
console.log(`[heap] Worker isolate "${probe.title}" (lowest of 5 readings): ${samples.join(" → ")}`);
probe.close();
await mf.dispose();
