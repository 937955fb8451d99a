import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules", "public/docs/vendor", ".wrangler", "worker-configuration.d.ts", "dist", ".e2e", "coverage", ".tmp"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "no-console": "off",
    },
  },
  {
    // zod tree-shakes only as a namespace import; the Worker bundle's "zod" has no `z` object
    // (wrangler.toml [alias], src/lib/zod-entry.ts, docs/bundle.md).
    files: ["src/**/*.ts", "durable-objects/**/*.ts", "test/**/*.ts"],
    ignores: ["src/lib/zod-entry.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        ...[
          "ImportDeclaration[source.value='zod'][importKind='value'] > ImportSpecifier[imported.name='z'][importKind='value']",
          "ImportDeclaration[source.value='zod'][importKind='value'] > ImportDefaultSpecifier",
          "ImportDeclaration[source.value='@hono/zod-openapi'] > ImportSpecifier[imported.name='z']",
          "ImportDeclaration[source.value=/^zod\\/v4/]",
        ].map((selector) => ({ selector, message: 'Write `import * as z from "zod"`: only that form tree-shakes (docs/bundle.md).' })),
      ],
    },
  },
  {
    // drizzle defines the schema and generates migrations; the Worker talks to D1 directly.
    // A value import of the schema (or of drizzle) would put drizzle back into the bundle.
    files: ["src/**/*.ts", "durable-objects/**/*.ts"],
    ignores: ["src/db/schema.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/db/schema"],
              allowTypeImports: true,
              message: "Import enum value lists from db/enums; only `import type` from db/schema (docs/bundle.md).",
            },
            { group: ["drizzle-orm", "drizzle-orm/*"], message: "Query D1 with prepared statements; drizzle is the schema and migration tool (docs/bundle.md)." },
          ],
        },
      ],
    },
  },
  {
    files: ["public/**/*.js"],
    languageOptions: { globals: { window: "readonly", document: "readonly", SwaggerUIBundle: "readonly" } },
  },
  {
    files: ["load/k6/**/*.js"],
    languageOptions: { globals: { __ENV: "readonly", __VU: "readonly", __ITER: "readonly", console: "readonly" } },
  },
  {
    files: ["scripts/**/*.{js,mjs}", "load/**/*.{js,mjs}", "test/e2e/**/*.{js,mjs,ts}"],
    languageOptions: {
      globals: { process: "readonly", console: "readonly", URL: "readonly", fetch: "readonly", setTimeout: "readonly", clearTimeout: "readonly", AbortSignal: "readonly", performance: "readonly", Buffer: "readonly" },
    },
  },
);
