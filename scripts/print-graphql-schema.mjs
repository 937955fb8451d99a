#!/usr/bin/env node
/**
 * Writes docs/schema.graphql: the running storefront schema printed as SDL (the schema is built
 * from the zod schemas, so this file changes whenever they do). test/unit/graphql-schema.test.ts
 * fails while the file and the schema differ.
 *
 *   npm run graphql:schema
 */
import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

mkdirSync(".tmp", { recursive: true });
const outfile = ".tmp/print-graphql-schema.mjs";
await build({
  stdin: {
    contents: `import { printSchema } from "graphql"; import { storefrontSchema } from "./src/graphql/schema"; export const sdl = printSchema(storefrontSchema());`,
    resolveDir: ".",
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "node",
  outfile,
  logLevel: "warning",
});
const { sdl } = await import(pathToFileURL(outfile).href);
writeFileSync("docs/schema.graphql", `${sdl}\n`);
console.log(`docs/schema.graphql: ${sdl.split("\n").length} lines`);
