#!/usr/bin/env node
/**
 * `npm run perf:checkout`: who spends the workerd process's CPU during bench:checkout's hot-SKU
 * bursts. Linux `perf` samples the process (every thread, C++ and JIT code alike), V8 names its
 * JIT code in /tmp/perf-<pid>.map (`--perf-basic-prof`), and each sample goes to whoever runs
 * the innermost JavaScript frame on its stack:
 *   - Edgeshop: the bundle, i.e. the Worker and its Durable Objects;
 *   - the D1 client: `cloudflare-internal:d1-api`, inside the Worker (production runs it too);
 *   - the local D1: Miniflare's D1 object and its zod checks, which production never runs on the
 *     Worker's CPU (D1 is another machine there);
 *   - Miniflare's own routing Workers (dispatchFetch's entry, the Durable Object router);
 *   - the runtime alone: samples with no JavaScript on the stack (HTTP and RPC between Workers,
 *     the event loop, promise plumbing), garbage collection counted apart.
 * Unlike profile:checkout (the V8 inspector), perf slows nothing down and sees the C++ too.
 *
 * Needs `perf` and the right to use it (root, or kernel.perf_event_paranoid ≤ 1); exits 1 with a
 * message otherwise. A manual tool, not part of `npm test`. Env: PERF_ROUNDS (default 4 measured
 * bursts, each of PERF_SHOPPERS shoppers, default 200, for half as many units), PERF_TOP (20).
 */
import { execFileSync, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { scenario, seedUsers, seedVariants, startCheckoutWorker, warmUp } from "./lib/checkout-run.mjs";
import { storageOnTmpfs } from "./lib/worker.mjs";

const ROUNDS = Number(process.env.PERF_ROUNDS ?? 4);
const N = Number(process.env.PERF_SHOPPERS ?? 200);
const TOP = Number(process.env.PERF_TOP ?? 20);

function perfWorks() {
  try {
    execFileSync("perf", ["stat", "-e", "task-clock", "--", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Who runs a stack frame, by the script its JIT code came from; null for C++ and unnamed code. */
function ownerOf(frame) {
  if (!frame.includes("perf-")) return null;
  if (/ (?:index|edgeshop)\.js:\d/.test(frame)) return "Edgeshop (the Worker and its Durable Objects)";
  if (frame.includes("d1-api")) return "D1 client in the Worker (cloudflare-internal:d1-api)";
  if (frame.includes("database.worker.js") || frame.includes("miniflare:zod")) return "local D1 (Miniflare's D1 object; not the Worker's CPU in production)";
  if (/entry\.worker\.js|miniflare:shared|\.worker\.js/.test(frame)) return "Miniflare's routing Workers (dispatchFetch entry, object router)";
  return "other JavaScript (runtime internals)";
}

const RUNTIME_ONLY = "workerd runtime, no JavaScript on the stack (HTTP and RPC between Workers, event loop, promises)";
const GARBAGE = "garbage collection, no JavaScript on the stack (any isolate)";
const GC_FRAME = /v8::internal::(?:Heap::|Scavenger|MarkCompact|MinorMarkSweep|ConcurrentMarking|GCTracer)|cppgc::internal::(?:Marker|Sweeper)/;

/**
 * `perf script` output → per phase (0: checkout bursts, 1: payment bursts; `windows` are
 * [from, to, phase] in seconds): samples per owner and Edgeshop's innermost functions.
 */
function attribute(script, windows) {
  const phases = [0, 1].map(() => ({ samples: 0, owners: new Map(), functions: new Map() }));
  const add = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
  for (const block of script.split("\n\n")) {
    const lines = block.split("\n").map((l) => l.trim()).filter(Boolean);
    if (lines.length === 0) continue;
    const time = Number(/(\d+\.\d+):/.exec(lines[0])?.[1]);
    const window = windows.find(([from, to]) => time >= from && time < to);
    if (!window) continue;
    const frames = lines.slice(1);
    const at = phases[window[2]];
    at.samples += 1;
    let owner = null;
    for (const frame of frames) {
      owner = ownerOf(frame);
      if (owner) {
        if (owner.startsWith("Edgeshop")) add(at.functions, frame.replace(/^\S+\s+JS:\S?\s*/, "").replace(/\s*\(\/tmp\/perf-\d+\.map\)$/, ""));
        break;
      }
    }
    add(at.owners, owner ?? (frames.some((f) => GC_FRAME.test(f)) ? GARBAGE : RUNTIME_ONLY));
  }
  return phases;
}

async function main() {
  if (!perfWorks()) {
    console.error("perf:checkout needs Linux `perf` and the right to use it (root, or sysctl kernel.perf_event_paranoid=1); it is not usable here.");
    process.exit(1);
  }
  const removeStorage = storageOnTmpfs();
  // Miniflare passes these to workerd: V8 then lists its JIT code in /tmp/perf-<pid>.map.
  process.env.MINIFLARE_WORKERD_V8_FLAGS = "--perf-basic-prof";
  const { mf, db, clock, pid, close } = await startCheckoutWorker(undefined, { minify: false });
  const work = mkdtempSync(path.join(os.tmpdir(), "edgeshop-perf-"));
  const data = path.join(work, "perf.data");
  try {
    if (!pid) throw new Error("could not find the workerd process");
    await warmUp(mf, db);
    // Sampling is on only during the bursts (perf's control fifo; opened read-write, so never
    // blocking). CLOCK_MONOTONIC is process.hrtime's clock, so the bursts' edges split the samples.
    const control = path.join(work, "control");
    execFileSync("mkfifo", [control]);
    const perf = spawn("perf", ["record", "-q", "-g", "-F", "999", "-k", "CLOCK_MONOTONIC", "-D", "-1", "--control", `fifo:${control}`, "-p", String(pid), "-o", data], { stdio: "ignore" });
    const controlFd = openSync(control, "r+");
    const sampling = (on) => writeSync(controlFd, on ? "enable\n" : "disable\n");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const windows = [];
    const cpu = { checkout: 0, payment: 0 };
    const counts = { checkout: 0, payment: 0, locked: 0, refused: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const shoppers = await seedUsers(db, N, "CUSTOMER", `F${round}`);
      const [hot] = await seedVariants(db, `F${round}`, 1, Math.floor(N / 2));
      const marks = [];
      // scenario() reads its clock before the checkout burst, between the bursts and after the payments.
      const marking = () => {
        if (marks.length === 0) sampling(true);
        marks.push({ at: Number(process.hrtime.bigint()) / 1e9, cpu: clock() });
        if (marks.length === 3) sampling(false);
        return 0;
      };
      const result = await scenario(mf, marking, `perf-${round}`, shoppers, () => hot);
      windows.push([marks[0].at, marks[1].at, 0], [marks[1].at, marks[2].at, 1]);
      cpu.checkout += marks[1].cpu - marks[0].cpu;
      cpu.payment += marks[2].cpu - marks[1].cpu;
      Object.assign(counts, { checkout: counts.checkout + result.shoppers, payment: counts.payment + result.locked, locked: counts.locked + result.locked, refused: counts.refused + result.refused409 });
      if (result.errors5xx > 0) throw new Error(`round ${round}: ${result.errors5xx} answers were 5xx`);
    }
    perf.kill("SIGINT");
    await new Promise((resolve) => perf.on("exit", resolve));
    closeSync(controlFd);
    const script = execFileSync("perf", ["script", "-i", data, "-F", "time,ip,sym,dso"], { maxBuffer: 1 << 30, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const [checkoutPhase, paymentPhase] = attribute(script, windows);
    if (![...checkoutPhase.owners.keys()].some((owner) => owner !== RUNTIME_ONLY && owner !== GARBAGE)) {
      throw new Error(`no sample named a JavaScript function: workerd wrote no usable /tmp/perf-${pid}.map, so no sample can be told apart`);
    }
    console.log(`\nworkerd CPU by owner, hot SKU: ${ROUNDS} rounds of ${N} shoppers for ${Math.floor(N / 2)} units (${counts.locked} × 201, ${counts.refused} × 409), perf at 999 Hz\n`);
    for (const [name, phase, requests, cpuMs] of [
      ["checkout burst", checkoutPhase, counts.checkout, cpu.checkout],
      ["payment burst", paymentPhase, counts.payment, cpu.payment],
    ]) {
      const perRequest = cpuMs / requests;
      console.log(`## ${name}: ${requests} requests, ${perRequest.toFixed(2)} ms of workerd CPU per request (/proc), ${phase.samples} samples\n`);
      console.log("| who | share | ms per request |\n| --- | ---: | ---: |");
      for (const [owner, n] of [...phase.owners].sort((a, b) => b[1] - a[1])) {
        console.log(`| ${owner} | ${((100 * n) / phase.samples).toFixed(1)} % | ${((perRequest * n) / phase.samples).toFixed(2)} |`);
      }
      console.log(`\nEdgeshop's innermost functions (share of all samples):`);
      for (const [fn, n] of [...phase.functions].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`  ${((100 * n) / phase.samples).toFixed(1).padStart(5)} %  ${fn}`);
      console.log("");
    }
  } finally {
    await close();
    rmSync(work, { recursive: true, force: true });
    if (pid) rmSync(`/tmp/perf-${pid}.map`, { force: true });
    removeStorage();
  }
}

await main();
