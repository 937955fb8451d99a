/**
 * What the Worker bundle gets for `import ... from "zod"` (wrangler.toml `[alias]`), so that zod
 * tree-shakes. Our code imports `* as z from "zod"`, which esbuild shakes down to the members
 * used. But @hono/zod-openapi does `import { z } from "zod"` and passes that namespace to
 * `extendZodWithOpenApi(z)`; a namespace used as a value makes esbuild keep every export of zod:
 * its ~40 locales, the JSON Schema converters, the schema compiler (about 360 KiB minified,
 * docs/bundle.md). `extendZodWithOpenApi` only needs `ZodType` (it adds `.openapi()` to its
 * prototype), so this module hands it exactly that and re-exports the rest by name.
 *
 * The workerd test suite resolves "zod" the same way (vitest.config.ts); type checking sees the
 * real package, whose classes and prototypes these are.
 */
import { ZodType } from "zod/v4";

export * from "zod/v4";

const extensionTarget = { ZodType };

/**
 * The namespace object as @hono/zod-openapi sees it. Reading anything else from it is a bug in
 * an import (use `import * as z from "zod"`), reported at once instead of as `undefined`.
 */
export const z: typeof extensionTarget = new Proxy(extensionTarget, {
  get(target, key) {
    if (key in target) return target[key as keyof typeof target];
    if (typeof key === "symbol") return undefined;
    throw new Error(`zod's \`z\` namespace object is not in the Worker bundle (z.${String(key)}): write \`import * as z from "zod"\``);
  },
});
