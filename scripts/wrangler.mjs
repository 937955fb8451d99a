/**
 * Runs the project's wrangler the quick way. `npx wrangler` costs about 0.6 s before wrangler
 * starts (npm resolving the bin, then wrangler's bin starting a second Node for its CLI); under
 * `npm run` this process already is the Node 22 wrangler needs, so the CLI runs directly, as
 * wrangler's bin would run it. V8's compile cache (NODE_COMPILE_CACHE) keeps the compiled 15 MB
 * CLI between runs, another ~0.4 s. Elsewhere (Node 20 on PATH) it falls back to npx, which finds
 * the node@22 devDependency.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const WRANGLER_BIN = resolve("node_modules/wrangler/bin/wrangler.js");
// What the bin spawns (wrangler/bin/wrangler.js); the bin itself when a wrangler moves it.
const WRANGLER_CLI = resolve("node_modules/wrangler/wrangler-dist/cli.js");
const NODE_MAJOR = Number(process.versions.node.split(".")[0]);

export function wranglerCommand(args) {
  if (NODE_MAJOR >= 22 && existsSync(WRANGLER_CLI)) return { command: process.execPath, args: ["--no-warnings", WRANGLER_CLI, ...args] };
  if (NODE_MAJOR >= 22 && existsSync(WRANGLER_BIN)) return { command: process.execPath, args: [WRANGLER_BIN, ...args] };
  return { command: "npx", args: ["wrangler", ...args] };
}

export function wranglerEnv(extra = {}) {
  return { NODE_COMPILE_CACHE: resolve("node_modules/.cache/node-compile-cache"), ...process.env, ...extra };
}

/** Runs wrangler to completion; throws with its exit code when it fails. */
export function runWrangler(args, { env = {}, stdio = ["ignore", "ignore", "inherit"] } = {}) {
  const { command, args: fullArgs } = wranglerCommand(args);
  const result = spawnSync(command, fullArgs, { stdio, env: wranglerEnv(env), encoding: "utf8" });
  if (result.status !== 0) throw new Error(`wrangler ${args.slice(0, 3).join(" ")} failed (exit ${result.status ?? result.signal})`);
  return result.stdout;
}

/** Starts a long-running wrangler (dev) with inherited stdio. */
export function spawnWrangler(args, options = {}) {
  const { command, args: fullArgs } = wranglerCommand(args);
  return spawn(command, fullArgs, { stdio: "inherit", ...options, env: wranglerEnv(options.env) });
}
