#!/usr/bin/env node
/**
 * Dependencies point one way (docs/architecture.md, "Layers"): fails when
 * - a module under src/lib/ imports anything outside src/lib/ (it is the bottom layer);
 * - a Durable Object (durable-objects/) reaches HTTP or GraphQL code, the app, or any routes file,
 *   directly or through what it imports (it may use src/lib and the pure logic of src/modules);
 * - any import cycle exists among src/ and durable-objects/ (type-only imports included).
 * Reads imports with the TypeScript parser, so comments and strings never count.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const ROOTS = ["src", "durable-objects"];

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

/** Relative imports and re-exports of a file, resolved to project files. */
function importsOf(file) {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return info.importedFiles
    .map((i) => i.fileName)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => {
      const base = resolve(dirname(file), spec);
      const found = [`${base}.ts`, join(base, "index.ts"), base].find((c) => existsSync(c) && statSync(c).isFile());
      return found ? relative(process.cwd(), found) : null;
    })
    .filter((f) => f !== null);
}

const graph = new Map(ROOTS.flatMap(sourceFiles).map((f) => [f, importsOf(f)]));
const problems = [];

for (const [file, deps] of graph) {
  if (!file.startsWith("src/lib/")) continue;
  for (const dep of deps) if (!dep.startsWith("src/lib/")) problems.push(`${file} imports ${dep}: src/lib may import only src/lib`);
}

const forbiddenForObjects = (f) => f.startsWith("src/http/") || f.startsWith("src/graphql/") || f === "src/app.ts" || f === "src/index.ts" || /(^|[/-])routes\.ts$/.test(f);
for (const [file, deps] of graph) {
  if (!file.startsWith("durable-objects/")) continue;
  const seen = new Map(deps.map((d) => [d, [file, d]]));
  const queue = [...deps];
  while (queue.length > 0) {
    const current = queue.shift();
    if (forbiddenForObjects(current)) {
      problems.push(`${seen.get(current).join(" → ")}: a Durable Object must not reach HTTP, GraphQL or route code`);
      continue;
    }
    for (const next of graph.get(current) ?? []) {
      if (seen.has(next)) continue;
      seen.set(next, [...seen.get(current), next]);
      queue.push(next);
    }
  }
}

// Tarjan's strongly connected components: every component of more than one file is a cycle.
let index = 0;
const stack = [];
const state = new Map();
function connect(file) {
  state.set(file, { index, low: index, onStack: true });
  index += 1;
  stack.push(file);
  for (const dep of graph.get(file) ?? []) {
    if (!state.has(dep)) {
      connect(dep);
      state.get(file).low = Math.min(state.get(file).low, state.get(dep).low);
    } else if (state.get(dep).onStack) {
      state.get(file).low = Math.min(state.get(file).low, state.get(dep).index);
    }
  }
  if (state.get(file).low === state.get(file).index) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      state.get(member).onStack = false;
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) problems.push(`import cycle: ${component.reverse().join(" ⇄ ")}`);
  }
}
for (const file of graph.keys()) if (!state.has(file)) connect(file);

if (problems.length > 0) {
  console.error(`[layers] ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  process.exit(1);
}
console.log(`[layers] ${graph.size} files: src/lib imports only src/lib; Durable Objects reach no HTTP, GraphQL or route code; no import cycles`);
