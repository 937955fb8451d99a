/**
 * Starts the real dev server (`scripts/dev.mjs`: migrations, seed, `wrangler dev`) on a free port
 * with fresh local state, waits for /healthz, and hands the base URL to the tests; first makes
 * sure headless Chromium is there for the browser checks (test/e2e/chromium.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import type { TestProject } from "vitest/node";
import { provisionChromium, recordBrowserCheck } from "./chromium";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    /** The persist directory of the server's local state (wrangler `--persist-to`). */
    stateDir: string;
    /** Headless Chromium for the browser checks, or "" when they are skipped. */
    chromiumPath: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dev server exited early with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`dev server did not answer /healthz within ${timeoutMs} ms`);
}

export default async function setup(project: TestProject) {
  const chromium = provisionChromium();
  recordBrowserCheck(chromium);
  project.provide("chromiumPath", "path" in chromium ? chromium.path : "");
  const port = await freePort();
  const stateDir = `.e2e/state-${port}`;
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(".e2e", { recursive: true });
  const child = spawn(
    process.execPath,
    ["scripts/dev.mjs", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", stateDir, "--var", "RATE_LIMIT_MULTIPLIER:1000", "--var", "WEBHOOK_ALLOW_LOCALHOST:true", "--log-level", "warn"],
    { stdio: ["ignore", "inherit", "inherit"], detached: true, env: { ...process.env, CI: "true" } },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(baseUrl, child, 150_000);
  } catch (error) {
    if (child.pid) process.kill(-child.pid, "SIGTERM");
    throw error;
  }
  project.provide("baseUrl", baseUrl);
  project.provide("stateDir", stateDir);

  return async () => {
    if (child.pid && child.exitCode === null) {
      process.kill(-child.pid, "SIGTERM");
      await new Promise((r) => setTimeout(r, 500));
      if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    }
    rmSync(stateDir, { recursive: true, force: true });
  };
}
