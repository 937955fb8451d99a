#!/usr/bin/env node
/**
 * Builds the deployable bundle with `wrangler deploy --dry-run` and holds its gzip size under
 * the budget in the README, so a dependency that bloats the Worker fails CI; then profiles the
 * Worker's startup (`wrangler check startup`) and holds the active CPU time under its budget.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

// 238 KiB at the time of writing, with markets, returns and gift cards in (docs/bundle.md). Over it, `npm run bundle:report` shows which import pulls in what.
const BUDGET_GZIP_BYTES = 250 * 1024;
// Cloudflare allows 1 s of startup CPU; this machine is slower than the edge, so a margin remains.
const BUDGET_STARTUP_MS = 400;
const outdir = "dist";

rmSync(outdir, { recursive: true, force: true });
execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir], { stdio: ["ignore", "inherit", "inherit"] });
// Static assets (Swagger UI for /docs) are uploaded beside the Worker, not bundled into it.
const files = readdirSync(outdir).filter((f) => f.endsWith(".js"));
const raw = files.reduce((sum, f) => sum + readFileSync(join(outdir, f)).length, 0);
const gzip = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(outdir, f))).length, 0);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`[bundle] ${files.join(", ")}: ${kib(raw)} raw, ${kib(gzip)} gzip (budget ${kib(BUDGET_GZIP_BYTES)} gzip)`);
if (gzip > BUDGET_GZIP_BYTES) {
  console.error(`[bundle] over budget by ${kib(gzip - BUDGET_GZIP_BYTES)}: \`npm run bundle:report\` lists what each import costs (docs/bundle.md)`);
  process.exit(1);
}

const profile = execFileSync("npx", ["wrangler", "check", "startup", "--outfile", join(outdir, "startup.cpuprofile")], {
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
});
const active = /Active:\s*([\d.]+)\s*ms/.exec(profile);
if (!active) {
  console.error("[startup] could not read the startup profile's active time");
  process.exit(1);
}
const activeMs = Number(active[1]);
console.log(`[startup] ${activeMs} ms of CPU at startup, measured locally (budget ${BUDGET_STARTUP_MS} ms)`);
if (activeMs > BUDGET_STARTUP_MS) {
  console.error(`[startup] over budget by ${(activeMs - BUDGET_STARTUP_MS).toFixed(1)} ms`);
  process.exit(1);
}
