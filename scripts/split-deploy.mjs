#!/usr/bin/env node
/**
 * Deploys Edgeshop as two Workers (docs/performance.md "Placement"), both built from wrangler.toml
 * so there is one source of configuration:
 *   - edgeshop-writes: the whole app with Smart Placement, so it runs beside the D1 primary; it
 *     owns the Durable Object classes, the queue consumers and the cron sweep;
 *   - edgeshop (the edge): the same app, serving catalog reads next to the shopper and handing every
 *     write (and a shopper's own reads) to edgeshop-writes over the `WRITES` service binding; it
 *     binds the Durable Objects of edgeshop-writes.
 *
 *   npm run deploy:split              # deploy both (writes first)
 *   npm run deploy:split -- --dry-run # build both and check them (CI does this)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dryRun = process.argv.includes("--dry-run");

/** wrangler.toml as blocks: the top-level keys, then one block per [table] / [[array]] header. */
function blocks(text) {
  const out = [{ header: "", lines: [] }];
  for (const line of text.split("\n")) {
    if (/^\[{1,2}[^\]]+\]{1,2}\s*$/.test(line.trim())) out.push({ header: line.trim(), lines: [line] });
    else out.at(-1).lines.push(line);
  }
  return out;
}

const join = (list) => list.map((b) => b.lines.join("\n")).join("\n");
const absolute = (text) =>
  text
    .replace(/^main = "(.+)"$/m, (_, p) => `main = "${path.join(ROOT, p)}"`)
    .replace(/^migrations_dir = "(.+)"$/m, (_, p) => `migrations_dir = "${path.join(ROOT, p)}"`)
    // The generated configs live in a temporary folder: static assets and the build step are the repository's.
    .replace(/^directory = "(.+)"$/m, (_, p) => `directory = "${path.join(ROOT, p)}"`)
    .replace(/^("[^"]+" = )"(\.\/[^"]+)"$/gm, (_, key, p) => `${key}"${path.join(ROOT, p)}"`) // [alias]
    .replace(/^watch_dir = "(.+)"$/m, (_, p) => `watch_dir = "${path.join(ROOT, p)}"`)
    .replace(/^command = .+$/m, (line) => `${line}\ncwd = "${ROOT}"`) // [build]
    .replace(/^#:schema .*$/m, "");

export function splitConfigs(source) {
  const all = blocks(source);
  const writes = all.map((b) => (b.header === "" ? { ...b, lines: b.lines.map((l) => l.replace(/^name = ".*"$/, 'name = "edgeshop-writes"')) } : b));
  writes.push({ header: "[placement]", lines: ["", "# Runs beside the D1 primary: a write's sequential round trips are local there.", "[placement]", 'mode = "smart"'] });
  const edgeOnly = all
    .filter((b) => !["[[migrations]]", "[[queues.consumers]]", "[triggers]"].includes(b.header))
    .map((b) => (b.header === "[[durable_objects.bindings]]" ? { ...b, lines: [...b.lines.filter((l) => l.trim()), 'script_name = "edgeshop-writes"', ""] } : b));
  edgeOnly.push({ header: "[[services]]", lines: ["", "# Writes and a shopper's own reads go to the Worker beside the database.", "[[services]]", 'binding = "WRITES"', 'service = "edgeshop-writes"'] });
  return { writes: absolute(join(writes)), edge: absolute(join(edgeOnly)) };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const dir = mkdtempSync(path.join(tmpdir(), "edgeshop-split-"));
  const { writes, edge } = splitConfigs(readFileSync(path.join(ROOT, "wrangler.toml"), "utf8"));
  const files = { writes: path.join(dir, "wrangler.writes.toml"), edge: path.join(dir, "wrangler.edge.toml") };
  writeFileSync(files.writes, writes);
  writeFileSync(files.edge, edge);
  const wrangler = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
  try {
    for (const name of ["writes", "edge"]) {
      const args = ["deploy", "-c", files[name], ...(dryRun ? ["--dry-run", "--outdir", path.join(dir, `out-${name}`)] : [])];
      execFileSync(process.execPath, [wrangler, ...args], { cwd: ROOT, stdio: ["ignore", dryRun ? "ignore" : "inherit", "inherit"] });
      console.log(`[split] ${name}: ${dryRun ? "builds" : "deployed"}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
