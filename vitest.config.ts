import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Unit and integration tests run inside workerd with the real wrangler.toml bindings; storage
// is isolated per test file. The black-box suite (test/e2e) has its own config and runs in Node.
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
            ENVIRONMENT: "test",
          },
        },
      }),
    ],
    test: {
      include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
      setupFiles: ["./test/setup.ts"],
      testTimeout: 30_000,
      silent: "passed-only" as const,
      hookTimeout: 30_000,
    },
  };
});
