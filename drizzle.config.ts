import { defineConfig } from "drizzle-kit";

// `out` is wrangler's migrations_dir and what the tests apply: one folder.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
