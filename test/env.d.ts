declare namespace Cloudflare {
  interface Env {
    /** Test-only: the D1 migrations read by vitest.config.ts. */
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}

/** Vite's `?raw` imports: a file's text, for tests that check docs against code. */
declare module "*?raw" {
  const text: string;
  export default text;
}
