import { defineConfig } from "vitest/config";

// The black-box suite: Node only, one real `npm run dev` server for the whole run, HTTP only.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
