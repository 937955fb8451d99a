#!/usr/bin/env node
/**
 * `npm run dev [-- wrangler dev args]`: prepares local state, then serves the Worker.
 * 1. creates .dev.vars from .dev.vars.example if missing;
 * 2. applies the D1 migrations to the local database;
 * 3. seeds the demo shop once (skipped when the seed admin already exists);
 * 4. runs `wrangler dev` with any extra arguments (`--port 8788 --var K:V`, `--persist-to DIR`).
 */
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { readDevVars } from "./dev-vars.mjs";

const args = process.argv.slice(2);
const persistIndex = args.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
const persistArgs =
  persistIndex === -1 ? [] : args[persistIndex].includes("=") ? [args[persistIndex]] : args.slice(persistIndex, persistIndex + 2);

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("[dev] created .dev.vars from .dev.vars.example");
}

const wrangler = (wranglerArgs, options = {}) =>
  execFileSync("npx", ["wrangler", ...wranglerArgs], { encoding: "utf8", ...options });

console.log("[dev] applying local D1 migrations");
wrangler(["d1", "migrations", "apply", "DB", "--local", ...persistArgs], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, CI: "true" } });

const adminEmail = (readDevVars().SEED_ADMIN_EMAIL ?? "admin@edgeshop.local").toLowerCase().replaceAll("'", "''");
const existing = JSON.parse(
  wrangler(["d1", "execute", "DB", "--local", ...persistArgs, "--json", `--command=SELECT count(*) AS n FROM users WHERE email = '${adminEmail}'`], {
    stdio: ["ignore", "pipe", "inherit"],
  }),
);
if (existing[0]?.results?.[0]?.n > 0) {
  console.log("[dev] seed already applied");
} else {
  console.log("[dev] seeding the demo shop");
  execFileSync("node", ["scripts/seed.mjs", ...persistArgs], { stdio: "inherit" });
}

const child = spawn("npx", ["wrangler", "dev", "--show-interactive-dev-session=false", ...args], { stdio: "inherit" });
const forward = (signal) => child.kill(signal);
process.on("SIGINT", forward);
process.on("SIGTERM", forward);
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
