#!/usr/bin/env node
// npm run test:model -- [--runs N] [--seed S] [--path P] [--shrink] [--verbose]
// Runs the money model (test/integration/money-model.test.ts) with more seeded runs than CI, or
// replays a failure by the seed and path fast-check printed.
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "200" },
    seed: { type: "string" },
    path: { type: "string" },
    shrink: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
  },
});
const env = {
  ...process.env,
  MODEL_RUNS: values.runs,
  ...(values.seed ? { MODEL_SEED: values.seed } : {}),
  ...(values.path ? { MODEL_PATH: values.path } : {}),
  MODEL_SHRINK: String(values.shrink),
  MODEL_VERBOSE: String(values.verbose),
};
const args = ["vitest", "run", "test/integration/money-model.test.ts", ...(values.verbose ? ["--silent=false"] : [])];
const result = spawnSync("npx", args, { stdio: "inherit", env });
process.exit(result.status ?? 1);
