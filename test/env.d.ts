declare namespace Cloudflare {
  interface Env {
    /** Test-only: the D1 migrations read by vitest.config.ts. */
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** Test-only: how many seeded runs the money model makes, and a seed to replay (npm run test:model). */
    MODEL_RUNS?: string;
    MODEL_SEED?: string;
    MODEL_PATH?: string;
    MODEL_SHRINK?: string;
    MODEL_VERBOSE?: string;
  }
}

/** Vite's `?raw` imports: a file's text, for tests that check docs against code. */
declare module "*?raw" {
  const text: string;
  export default text;
}
