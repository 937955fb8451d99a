import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Pure-logic unit tests (pricing, ledgers, state machines, signatures…) need no Workers runtime:
// they run in Node, without workerd's per-file start-up and D1 migrations. A unit test that needs
// a workerd API (crypto.subtle.timingSafeEqual, …) is named *.workerd.test.ts and runs there.
export default defineConfig({
  resolve: { alias: [{ find: /^zod$/, replacement: fileURLToPath(new URL("./src/lib/zod-entry.ts", import.meta.url)) }] },
  test: {
    include: ["test/unit/**/*.test.ts"],
    exclude: ["test/unit/**/*.workerd.test.ts"],
    environment: "node",
    testTimeout: 30_000,
    silent: "passed-only" as const,
  },
});
