#!/usr/bin/env node
/**
 * `npm run profile:checkout`: where a checkout request's CPU goes. Runs the hot-SKU scenario of
 * bench:checkout (N shoppers for N/2 units of one variant) on a non-minified bundle with the V8
 * inspector on, profiles the Worker's isolate (the Worker and its Durable Objects) during the
 * checkout burst and the payment burst, and prints per phase the self time of the top functions,
 * in ms per request.
 *
 * Read it for shares, not totals: with the inspector attached everything runs two to three times
 * slower, console calls (the request's log line) most of all. PROFILE_ALL=1 also profiles
 * Miniflare's own isolates (the local D1, KV, queues, its entry Worker); they share one thread
 * with the Worker, so their samples overlap and their totals add up to far more than the
 * process's CPU. Env: PROFILE_SHOPPERS (default 200), PROFILE_TOP (default 25).
 */
import { WebSocket } from "undici";
import { scenario, seedUsers, seedVariants, startCheckoutWorker, warmUp } from "./lib/checkout-run.mjs";
import { storageOnTmpfs } from "./lib/worker.mjs";

const N = Number(process.env.PROFILE_SHOPPERS ?? 200);
const TOP = Number(process.env.PROFILE_TOP ?? 25);
const PORT = 9329;

/** One inspector session per isolate target workerd lists. */
async function connectAll() {
  const listed = await (await fetch(`http://127.0.0.1:${PORT}/json`)).json();
  const targets = process.env.PROFILE_ALL === "1" ? listed : listed.filter((t) => t.title.includes("core:user:edgeshop"));
  return Promise.all(
    targets.map(async (target) => {
      const ws = new WebSocket(target.webSocketDebuggerUrl);
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = reject;
      });
      let next = 1;
      const waiting = new Map();
      ws.onmessage = (event) => {
        const message = JSON.parse(event.data);
        waiting.get(message.id)?.(message);
        waiting.delete(message.id);
      };
      const send = (method, params = {}) =>
        new Promise((resolve) => {
          const id = next++;
          waiting.set(id, resolve);
          ws.send(JSON.stringify({ id, method, params }));
        });
      await send("Profiler.enable");
      await send("Profiler.setSamplingInterval", { interval: 200 });
      return { name: target.title, send, close: () => ws.close() };
    }),
  );
}

/** Self time per function (name and place in the bundle), busy and idle time, per request. */
function summarize(profile, requests) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const functions = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of self) {
    const frame = byId.get(id).callFrame;
    if (frame.functionName === "(idle)") {
      idle += ms;
      continue;
    }
    total += ms;
    const key = `${frame.functionName || "(anonymous)"} ${frame.url ? `${frame.url.split("/").pop()}:${frame.lineNumber + 1}` : ""}`.trim();
    functions.set(key, (functions.get(key) ?? 0) + ms);
  }
  const perRequest = (ms) => (ms / requests).toFixed(3);
  const top = [...functions.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP);
  return { busy: perRequest(total), idle: perRequest(idle), top: top.map(([k, ms]) => `  ${perRequest(ms).padStart(7)} ms  ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${k}`) };
}

async function main() {
  const removeStorage = storageOnTmpfs();
  const { mf, db, close } = await startCheckoutWorker(undefined, { minify: false, options: { inspectorPort: PORT } });
  try {
    const shoppers = await seedUsers(db, N, "CUSTOMER", "P");
    const [hot] = await seedVariants(db, "P", 1, Math.floor(N / 2));
    await warmUp(mf, db);
    const sessions = await connectAll();
    const phases = [];
    let current = null;
    // scenario() reads its clock right before the checkout burst, between the bursts and after
    // the payments: each reading ends the running profile and starts the next.
    const clock = () => {
      const previous = current;
      current = Promise.resolve(previous).then(async (done) => {
        if (done) phases.push(await Promise.all(sessions.map((s) => s.send("Profiler.stop").then((r) => ({ name: s.name, profile: r.result.profile })))));
        if (phases.length < 2) await Promise.all(sessions.map((s) => s.send("Profiler.start")));
        return true;
      });
      return 0;
    };
    const result = await scenario(mf, clock, "profile", shoppers, () => hot);
    await current;
    const counts = [result.shoppers, result.locked];
    ["checkout burst", "payment burst"].forEach((phase, i) => {
      console.log(`\n## ${phase}: ${counts[i]} requests (${result.locked} × 201, ${result.refused409} × 409 in the checkout burst)`);
      for (const { name, profile } of phases[i]) {
        const summary = summarize(profile, counts[i]);
        if (Number(summary.busy) < 0.01) continue;
        console.log(`\n### isolate ${name}: ${summary.busy} ms busy per request (idle ${summary.idle})`);
        console.log(summary.top.join("\n"));
      }
    });
    for (const s of sessions) s.close();
  } finally {
    await close();
    removeStorage();
  }
}

await main();
