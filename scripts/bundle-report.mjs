#!/usr/bin/env node
/**
 * `npm run bundle:report`: what the Worker bundle is made of. Builds it exactly as deploy does
 * (`wrangler deploy --dry-run`, with esbuild's metafile), then lists, per package and per source
 * folder, the minified bytes it contributes and its marginal gzip cost — how much smaller the
 * gzipped bundle gets without those bytes (cut out through the source map) — and which of our
 * files import each package. docs/bundle.md records a run.
 */
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import { runWrangler } from "./wrangler.mjs";

// wrangler's own esbuild: the bundler that builds the deployed Worker.
const fromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
const { build } = await import(fromWrangler.resolve("esbuild"));
const outdir = "dist";
const top = Number(process.argv[2] ?? 25);

rmSync(outdir, { recursive: true, force: true });
runWrangler(["deploy", "--dry-run", "--outdir", outdir, "--metafile", join(outdir, "meta.json")]);
const deployed = readFileSync(join(outdir, "index.js"));

// The same build with esbuild directly (wrangler's options for this project: its conditions,
// target, minify without keep_names, the [alias]), so that the source map can name every input:
// the packages' own source maps are not chained in, which would hide which package a byte is from.
const aliases = Object.fromEntries([...readFileSync("wrangler.toml", "utf8").matchAll(/^"([^"]+)"\s*=\s*"([^"]+)"/gm)].map((m) => [m[1], resolve(m[2])]));
const result = await build({
  entryPoints: ["src/index.ts"],
  bundle: true,
  format: "esm",
  target: "es2024",
  conditions: ["workerd", "worker", "browser"],
  minify: true,
  keepNames: false,
  sourcemap: "external",
  metafile: true,
  write: false,
  outdir,
  external: ["cloudflare:*", "node:*"],
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "error",
  plugins: [
    {
      name: "wrangler-alias-and-no-input-maps",
      setup(b) {
        b.onResolve({ filter: /.*/ }, (args) => (aliases[args.path] ? { path: aliases[args.path] } : undefined));
        b.onLoad({ filter: /node_modules\/.*\.(m|c)?js$/ }, (args) => ({
          contents: readFileSync(args.path, "utf8").replace(/\/\/# sourceMappingURL=\S+/g, ""),
          loader: "js",
        }));
      },
    },
  ],
});
const meta = result.metafile;
const code = result.outputFiles.find((f) => f.path.endsWith(".js")).text;
const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith(".js.map")).text);
const output = Object.values(meta.outputs).find((o) => o.entryPoint);

/** A package (`zod`, `@sentry/core`) or a source folder (`src/modules/cart`, `src/graphql`). */
function groupOf(path) {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1];
  const parts = path.replace(/^(\.\.\/)+/, "").split("/");
  return parts[0] === "src" && parts[1] === "modules" ? parts.slice(0, 3).join("/") : parts.slice(0, parts[0] === "src" && parts.length > 2 ? 2 : 1).join("/");
}

// Which output character came from which source: decode the source map's VLQ mappings.
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const owner = new Int32Array(code.length).fill(-1);
const lineStarts = [0];
for (let i = 0; i < code.length; i++) if (code[i] === "\n") lineStarts.push(i + 1);
let source = 0;
const segmentsOf = (line) => line.split(",").filter(Boolean).map((segment) => {
  const values = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
});
map.mappings.split(";").forEach((line, lineIndex) => {
  let column = 0;
  const start = lineStarts[lineIndex] ?? code.length;
  const end = lineStarts[lineIndex + 1] ?? code.length;
  let previous = null;
  for (const values of segmentsOf(line)) {
    column += values[0];
    if (values.length > 1) source += values[1];
    if (previous) owner.fill(previous.source, start + previous.column, Math.min(start + column, end));
    previous = values.length > 1 ? { source, column } : null;
    // Sources also advance line/column fields (values[2], values[3]); only the source matters here.
  }
  if (previous) owner.fill(previous.source, start + previous.column, end);
});

const groupOfSource = map.sources.map((s) => groupOf(s));
const minified = new Map();
for (const [path, input] of Object.entries(output.inputs)) minified.set(groupOf(path), (minified.get(groupOf(path)) ?? 0) + input.bytesInOutput);

const totalGzip = gzipSync(code).length;
const marginal = (group) => {
  let kept = "";
  let runStart = 0;
  for (let i = 0; i <= code.length; i++) {
    const inGroup = i < code.length && owner[i] >= 0 && groupOfSource[owner[i]] === group;
    if (inGroup || i === code.length) {
      if (i > runStart) kept += code.slice(runStart, i);
      runStart = i + 1;
    }
  }
  return totalGzip - gzipSync(kept).length;
};

// What imports each package: our files by name, other packages by package name.
const importers = new Map();
for (const [path, input] of Object.entries(meta.inputs)) {
  for (const record of input.imports) {
    const group = groupOf(record.path);
    const from = path.includes("node_modules") ? groupOf(path) : path;
    if (!record.path.includes("node_modules") || group === groupOf(path)) continue;
    if (!importers.has(group)) importers.set(group, new Set());
    importers.get(group).add(from);
  }
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const rows = [...minified.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`\nwrangler deploy --dry-run: ${kib(deployed.length)} minified, ${kib(gzipSync(deployed).length)} gzip (the number CI holds to its budget)`);
console.log(`esbuild, the same options, for attribution: ${kib(code.length)} minified, ${kib(totalGzip)} gzip\n`);
console.log("| contributor | minified | marginal gzip | imported by |\n| --- | ---: | ---: | --- |");
for (const [group, bytes] of rows) {
  const by = [...(importers.get(group) ?? [])];
  const shown = by.length === 0 ? "" : by.length <= 3 ? by.join(", ") : `${by.slice(0, 2).join(", ")} and ${by.length - 2} more`;
  console.log(`| ${group} | ${kib(bytes)} | ${kib(marginal(group))} | ${shown} |`);
}
