#!/usr/bin/env node
/**
 * Seeds the local D1 database: `npm run seed -- [--products N] [--seed S] [--persist-to DIR]
 * [--out DIR] [--dry-run]`. Deterministic and idempotent (see seed-data.mjs). Users come from
 * .dev.vars (SEED_* keys) or the documented dev defaults.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateSeed, hashPassword } from "./seed-data.mjs";
import { readDevVars } from "./dev-vars.mjs";
import { runWrangler } from "./wrangler.mjs";

const { values } = parseArgs({
  options: {
    products: { type: "string", default: "500" },
    seed: { type: "string", default: "42" },
    "persist-to": { type: "string" },
    out: { type: "string", default: ".wrangler/seed" },
    "dry-run": { type: "boolean", default: false },
  },
});

const products = Number(values.products);
if (!Number.isInteger(products) || products < 0 || products > 100_000) {
  console.error("--products must be an integer between 0 and 100000");
  process.exit(2);
}

const vars = readDevVars();
const users = [
  { email: vars.SEED_ADMIN_EMAIL ?? "admin@edgeshop.local", password: vars.SEED_ADMIN_PASSWORD ?? "admin-dev-password", name: "Edgeshop Admin", role: "ADMIN" },
  { email: vars.SEED_CUSTOMER_EMAIL ?? "customer@edgeshop.local", password: vars.SEED_CUSTOMER_PASSWORD ?? "customer-dev-password", name: "Demo Customer", role: "CUSTOMER" },
].map((u) => ({
  ...u,
  // A salt derived from the email keeps the seed byte-for-byte reproducible; these are dev-only accounts.
  passwordHash: hashPassword(u.password, createHash("sha256").update(`edgeshop-seed:${u.email}`).digest().subarray(0, 16)),
}));

const chunks = generateSeed({ products, seed: Number(values.seed), users, chunkSize: 1000 });
mkdirSync(values.out, { recursive: true });
const started = Date.now();
chunks.forEach((chunk, i) => {
  const file = join(values.out, `seed-${String(i).padStart(3, "0")}.sql`);
  writeFileSync(file, chunk.sql);
  if (values["dry-run"]) return;
  const args = ["d1", "execute", "DB", "--local", `--file=${file}`];
  if (values["persist-to"]) args.push(`--persist-to=${values["persist-to"]}`);
  runWrangler(args);
  console.log(`[seed] ${chunk.label} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
});
console.log(values["dry-run"] ? `[seed] wrote ${chunks.length} SQL files to ${values.out}` : `[seed] done: ${products} products`);
