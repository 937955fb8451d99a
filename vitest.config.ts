import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Unit and integration tests run inside workerd with the real wrangler.toml bindings; storage
// is isolated per test file. The black-box suite (test/e2e) has its own config and runs in Node.
/** The shell's environment (this file runs in Node; the project's types are workerd's). */
const hostEnv = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

const PREBUNDLED = [
  "hono",
  "hono/body-limit",
  "hono/cors",
  "hono/factory",
  "hono/http-exception",
  "hono/route",
  "hono/secure-headers",
  "@hono/zod-openapi",
  "@hono/zod-validator",
  "@asteasolutions/zod-to-openapi",
  "zod/v4",
  "graphql",
  "dataloader",
  "jose",
  "toucan-js",
  "@sentry/core",
  "@sentry/utils",
];

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            JWT_SECRET: "test-secret-0123456789abcdef0123456789abcdef",
            PAYMENT_WEBHOOK_SECRET: "whsec_test_secret",
            // Stripe-compatible refunds of webhook-recorded payments go to a mocked fetch in tests.
            PAYMENT_API_KEY: "sk_test_edgeshop",
            ENVIRONMENT: "test",
            // Many tests call from one "unknown" IP; rate-limit tests set their own low limits.
            RATE_LIMIT_MULTIPLIER: "1000",
            // The limiter fails open after RATE_LIMIT_TIMEOUT_MS (100 ms in wrangler.toml). On a busy
            // machine its object can take longer, and a test counting 429s then saw a request pass
            // (a gift-card guess answered 422 instead of 429). The fail-open tests set their own.
            RATE_LIMIT_TIMEOUT_MS: "5000",
            // The money model's knobs (npm run test:model); CI uses the defaults of the test.
            ...Object.fromEntries(
              ["MODEL_RUNS", "MODEL_SEED", "MODEL_PATH", "MODEL_SHRINK", "MODEL_VERBOSE"].flatMap((k) => (hostEnv[k] ? [[k, hostEnv[k]]] : [])),
            ),
          },
        },
      }),
    ],
    // The Worker bundle's module aliases (wrangler.toml [alias]), so the tests run the modules it ships.
    resolve: { alias: [{ find: /^zod$/, replacement: fileURLToPath(new URL("./src/lib/zod-entry.ts", import.meta.url)) }] },
    test: {
      // Pure unit tests run in Node (vitest.unit.config.ts); here: integration, and unit tests of workerd APIs.
      include: ["test/unit/**/*.workerd.test.ts", "test/integration/**/*.test.ts"],
      setupFiles: ["./test/setup.ts"],
      // Every test file starts its own workerd and loads the app's ~720 modules into it; that, not
      // the tests, was most of the suite's time (≈ 9 s of a file's setup on a 2-core machine).
      // Pre-bundling the dependencies makes them 7 modules instead of ~460. Each package that
      // shares a runtime with another (hono and @hono/*, zod and its users) is in the list with
      // it, so no class exists twice (an instanceof across two copies would fail).
      deps: { optimizer: { ssr: { enabled: true, include: PREBUNDLED } } },
      // Vitest's default (cores - 1) runs one file at a time on a 2-core CI machine, where each
      // file spends most of its time starting its workerd and loading the app, not in its tests.
      // Two at a time took the integration suite from 515 s to 363 s there, every test passing.
      maxWorkers: Math.max(2, availableParallelism() - 1),
      testTimeout: 30_000,
      silent: "passed-only" as const,
      hookTimeout: 30_000,
    },
  };
});
