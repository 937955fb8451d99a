/**
 * `npm run dev` on a prepared state does no preparation work: it reads the local D1 file that the
 * e2e server's own start (from an empty state) just migrated and seeded, and finds nothing to do.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";

describe("npm run dev on an already-prepared state", () => {
  it("recognises every migration and the seed as done, without running wrangler", () => {
    const stateDir = inject("stateDir");
    const run = spawnSync(process.execPath, ["scripts/dev.mjs", "--prepare-only", "--persist-to", stateDir], { encoding: "utf8" });
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[dev\] local state ready \(\d+\.\ds\)$/);
    expect(run.stderr).not.toMatch(/wrangler|migration|seed/i);
    expect(existsSync(join(stateDir, "edgeshop-seed.json"))).toBe(true);
  });
});
