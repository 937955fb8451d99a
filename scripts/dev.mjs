#!/usr/bin/env node
/**
 * `npm run dev [-- wrangler dev args]`: prepares local state, then serves the Worker.
 * 1. creates .dev.vars from .dev.vars.example if missing;
 * 2. applies the D1 migrations the local database lacks;
 * 3. seeds the demo shop when it is missing or its inputs changed (scripts/local-state.mjs);
 * 4. runs `wrangler dev` with any extra arguments (`--port 8788 --var K:V`, `--persist-to DIR`).
 * On an already-prepared state, steps 2 and 3 only read the local SQLite file (milliseconds);
 * `wrangler d1` runs only when there is work to do, with progress on the console.
 * `--prepare-only` stops after step 3.
 */
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { readDevVars } from "./dev-vars.mjs";
import { DEFAULT_PERSIST_ROOT, migrationFiles, migrationsTable, readLocalD1, readSeedMarker, seedInputsHash, writeSeedMarker } from "./local-state.mjs";
import { runWrangler, spawnWrangler } from "./wrangler.mjs";

const started = Date.now();
const prepareOnly = process.argv.includes("--prepare-only");
const args = process.argv.slice(2).filter((a) => a !== "--prepare-only");
const persistIndex = args.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
const persistRoot =
  persistIndex === -1 ? DEFAULT_PERSIST_ROOT : args[persistIndex].includes("=") ? args[persistIndex].split("=")[1] : args[persistIndex + 1];
const persistArgs = persistIndex === -1 ? [] : [`--persist-to=${persistRoot}`];
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;
const log = (message) => console.log(`[dev] ${message}`);

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  log("created .dev.vars from .dev.vars.example");
}
const devVars = readDevVars();
const adminEmail = (devVars.SEED_ADMIN_EMAIL ?? "admin@edgeshop.local").toLowerCase();
const wanted = migrationFiles();
const seedInputs = seedInputsHash(devVars);

const state = await readLocalD1({ persistRoot, table: migrationsTable(), adminEmail });
if (state.status === "unknown") log(`cannot read the local database directly (${state.reason}); checking through wrangler`);
if (state.status === "fresh") log(`first run: preparing the local database in ${persistRoot} (migrations, then the demo seed)`);

const pending = state.status === "ok" ? wanted.filter((name) => !state.applied.includes(name)) : wanted;
if (pending.length > 0 || state.status === "unknown") {
  const step = Date.now();
  if (state.status !== "unknown") log(`applying ${pending.length} D1 migration${pending.length === 1 ? "" : "s"}: ${pending.join(", ")}`);
  runWrangler(["d1", "migrations", "apply", "DB", "--local", ...persistArgs], { env: { CI: "true" } });
  log(`migrations applied (${seconds(step)})`);
}

let seeded = state.status === "ok" && state.seeded;
if (state.status === "unknown") {
  const escaped = adminEmail.replaceAll("'", "''");
  const out = runWrangler(["d1", "execute", "DB", "--local", ...persistArgs, "--json", `--command=SELECT count(*) AS n FROM users WHERE email = '${escaped}'`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  seeded = JSON.parse(out)[0]?.results?.[0]?.n > 0;
}
const markerMatches = readSeedMarker(persistRoot) === seedInputs;
if (!seeded || !markerMatches) {
  const step = Date.now();
  log(seeded ? "the seed inputs changed since the last seed: applying the seed again (idempotent)" : "seeding the demo shop");
  const result = spawnSync(process.execPath, ["scripts/seed.mjs", ...persistArgs], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
  mkdirSync(persistRoot, { recursive: true });
  writeSeedMarker(persistRoot, seedInputs);
  log(`seed applied (${seconds(step)})`);
}
log(`local state ready (${seconds(started)})${prepareOnly ? "" : "; starting wrangler dev"}`);
if (prepareOnly) process.exit(0);

const child = spawnWrangler(["dev", "--show-interactive-dev-session=false", ...args]);
const forward = (signal) => child.kill(signal);
process.on("SIGINT", forward);
process.on("SIGTERM", forward);
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
