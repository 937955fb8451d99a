/**
 * Headless Chromium for the browser checks, from Debian's packages: used when installed, installed
 * with apt-get when it is missing and apt-get can run, and otherwise reported as a loud skip
 * (scripts/test-all.mjs prints it in the summary). An install that apt-get attempts and fails
 * is a failure, not a skip.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Where the e2e setup tells `npm test` that the browser checks were skipped, and why. */
export const BROWSER_CHECK_REPORT = ".tmp/browser-check.json";

export type ChromiumProvision = { path: string } | { skip: string };

const canRun = (command: string) => spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;

function aptGet(args: string[]) {
  const result = spawnSync("apt-get", args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (result.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed with exit code ${result.status}: the browser checks cannot run`);
}

export function provisionChromium(): ChromiumProvision {
  if (existsSync(CHROMIUM_PATH)) return { path: CHROMIUM_PATH };
  if (process.env.CHROMIUM_PATH) throw new Error(`CHROMIUM_PATH=${CHROMIUM_PATH} does not exist`);
  if (!canRun("apt-get")) return { skip: `no Chromium at ${CHROMIUM_PATH} and no apt-get to install it (or set CHROMIUM_PATH to a Chromium binary)` };
  if (process.getuid?.() !== 0) return { skip: `no Chromium at ${CHROMIUM_PATH}, and apt-get needs root: run \`sudo apt-get install -y chromium\`` };
  console.log("[browser] installing Chromium from Debian's packages (apt-get install -y chromium), once per machine…");
  aptGet(["update"]);
  aptGet(["install", "-y", "--no-install-recommends", "chromium"]);
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is missing`);
  return { path: CHROMIUM_PATH };
}

export function recordBrowserCheck(provision: ChromiumProvision) {
  mkdirSync(".tmp", { recursive: true });
  writeFileSync(BROWSER_CHECK_REPORT, JSON.stringify("skip" in provision ? { status: "skipped", reason: provision.skip } : { status: "ready", path: provision.path }));
  if ("skip" in provision) {
    const line = "!".repeat(100);
    console.warn(`\n${line}\n!! BROWSER CHECKS SKIPPED: ${provision.skip}\n${line}\n`);
  }
}
