#!/usr/bin/env node
/**
 * `npm run bench:checkout:ab -- --base <git ref>`: the hot-SKU checkout of `bench:checkout`, on
 * this work tree and on an earlier version side by side, to measure a change to the checkout or
 * payment path on a machine whose speed drifts from one run to the next (docs/performance.md,
 * "The direct lock"). Both versions run at once in two Miniflare instances (two workerd
 * processes, each with its own CPU clock), seeded alike; every round gives both a fresh variant
 * and fresh shoppers and runs the same phase on each, alternating which goes first, so both see
 * the machine as it is at that moment. Reports the workerd CPU ms per checkout request, per
 * payment and per /healthz of each version (medians of the rounds) and the ratio per round.
 *
 * Options: --base (default HEAD~1), --rounds (default 8), --shoppers (default 200; the variant has
 * half as many units, so half the checkouts are refused, as in bench:checkout).
 */
import { parseArgs } from "node:util";
import { healthzRate, ROOT, scenario, seedUsers, seedVariants, startCheckoutWorker, warmUp } from "./lib/checkout-run.mjs";
import { storageOnTmpfs, worktreeOf } from "./lib/worker.mjs";

const { values } = parseArgs({ options: { base: { type: "string", default: "HEAD~1" }, rounds: { type: "string", default: "8" }, shoppers: { type: "string", default: "200" } } });
const ROUNDS = Number(values.rounds);
const SHOPPERS = Number(values.shoppers);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** One version: its bundle running in its own Miniflare, migrated by its own migrations, with every round's shoppers and variant seeded up front. */
async function startVersion(label, root) {
  const { mf, db, clock, close } = await startCheckoutWorker(root);
  if (!clock) {
    await close();
    throw new Error("the A/B needs /proc to read workerd's CPU time (Linux)");
  }
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const [variant] = await seedVariants(db, `R${r}`, 1, Math.floor(SHOPPERS / 2));
    rounds.push({ variant, shoppers: await seedUsers(db, SHOPPERS, "CUSTOMER", `R${r}`) });
  }
  await warmUp(mf, db);
  return { label, mf, clock, close, rounds, checkout: [], payment: [], healthz: [], errors5xx: 0 };
}

async function round(version, r) {
  version.healthz.push((await healthzRate(version.mf, version.clock, 1)).cpuMs);
  const { shoppers, variant } = version.rounds[r];
  const result = await scenario(version.mf, version.clock, "hot SKU", shoppers, () => variant);
  version.checkout.push(result.checkoutCpuMs);
  version.payment.push(result.paymentCpuMs);
  version.errors5xx += result.errors5xx;
}

async function main() {
  const removeStorage = storageOnTmpfs();
  const baseTree = worktreeOf(values.base);
  const base = await startVersion(`base (${values.base})`, baseTree.dir);
  const head = await startVersion("this work tree", ROOT);
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const version of r % 2 ? [head, base] : [base, head]) await round(version, r);
      console.log(`round ${r + 1}/${ROUNDS}: checkout CPU ms ${base.checkout[r].toFixed(2)} → ${head.checkout[r].toFixed(2)}, payment ${base.payment[r].toFixed(2)} → ${head.payment[r].toFixed(2)}`);
    }
    const ratios = (metric) => head[metric].map((v, i) => v / base[metric][i]);
    console.log(`\nworkerd CPU ms per request, medians of ${ROUNDS} rounds × ${SHOPPERS} shoppers (hot SKU, ${Math.floor(SHOPPERS / 2)} units):`);
    console.log("| version | checkout request | payment | /healthz |\n| --- | ---: | ---: | ---: |");
    for (const v of [base, head]) console.log(`| ${v.label} | ${median(v.checkout).toFixed(2)} | ${median(v.payment).toFixed(2)} | ${median(v.healthz).toFixed(2)} |`);
    for (const metric of ["checkout", "payment"]) {
      const each = ratios(metric);
      console.log(`${metric}, this ÷ base per round: ${each.map((x) => x.toFixed(2)).join(" ")} (median ${median(each).toFixed(2)})`);
    }
    const failed = base.errors5xx + head.errors5xx;
    if (failed > 0) console.error(`${failed} answers were 5xx`);
    process.exitCode = failed > 0 ? 1 : 0;
  } finally {
    await Promise.all([base.close(), head.close()]);
    baseTree.remove();
    removeStorage();
  }
}

await main();
