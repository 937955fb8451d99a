/**
 * The money model (test/model/money-model.ts) in CI: a fixed number of seeded runs, each an
 * interleaving of shoppers, webhooks, sweeps and admins with injected faults, checked against the
 * invariants of docs/checkout.md. `npm run test:model -- --runs N [--seed S --path P --shrink]`
 * runs more, or replays one failure by the seed and path fast-check prints.
 */
import { env } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, it } from "vitest";
import { outboundBreakers } from "../../src/modules/outbound/breakers";
import { runScenario, scenarioArb } from "../model/money-model";
import { clearInventoryAlarms } from "../factories/commerce";

const runs = Number(env.MODEL_RUNS ?? 20);
const seed = env.MODEL_SEED ? Number(env.MODEL_SEED) : undefined;

afterAll(() => clearInventoryAlarms());

it(`money model: ${runs} seeded runs keep every invariant (money, stock, discount uses, emails)`, async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArb, async (scenario) => {
      outboundBreakers.reset();
      await runScenario(scenario);
    }),
    {
      numRuns: runs,
      seed,
      path: env.MODEL_PATH,
      // CI reports the first failure with its seed and path; `--shrink` asks for the smallest one.
      endOnFailure: env.MODEL_SHRINK !== "true",
    },
  );
}, Math.max(120_000, runs * 20_000));
