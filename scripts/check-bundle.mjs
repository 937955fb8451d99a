#!/usr/bin/env node
/**
 * Builds the deployable bundle with `wrangler deploy --dry-run` and holds its gzip size under
 * the budget in the README, so a dependency that bloats the Worker fails CI.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_GZIP_BYTES = 400 * 1024;
const outdir = "dist";

rmSync(outdir, { recursive: true, force: true });
execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir], { stdio: ["ignore", "inherit", "inherit"] });
const files = readdirSync(outdir).filter((f) => f.endsWith(".js"));
const raw = files.reduce((sum, f) => sum + readFileSync(join(outdir, f)).length, 0);
const gzip = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(outdir, f))).length, 0);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`[bundle] ${files.join(", ")}: ${kib(raw)} raw, ${kib(gzip)} gzip (budget ${kib(BUDGET_GZIP_BYTES)} gzip)`);
if (gzip > BUDGET_GZIP_BYTES) {
  console.error(`[bundle] over budget by ${kib(gzip - BUDGET_GZIP_BYTES)}`);
  process.exit(1);
}
