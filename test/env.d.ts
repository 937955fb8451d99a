declare namespace Cloudflare {
  interface Env {
    /** Test-only: the D1 migrations read by vitest.config.ts. */
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}
