/**
 * What `npm run dev` needs to know about the local state, read in milliseconds instead of through
 * `wrangler d1` (about 3 s per command): which migrations the local D1 database has applied, and
 * whether the demo seed is in it with today's seed inputs.
 *
 * Miniflare keeps each local D1 database as one SQLite file under
 * `<persist root>/v3/d1/miniflare-D1DatabaseObject/`; Node 22's built-in `node:sqlite` opens it
 * read-only. Anything unexpected (no node:sqlite, several database files, an unreadable file)
 * answers `unknown`, and the caller takes the slow path through wrangler, which is always right.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const DEFAULT_PERSIST_ROOT = ".wrangler/state";
const SEED_MARKER = "edgeshop-seed.json";

/** The migration files wrangler would apply, in order (the same filter as `wrangler d1 migrations`). */
export function migrationFiles(dir = "migrations") {
  return readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
}

/** `migrations_table` from wrangler.toml, or wrangler's default. */
export function migrationsTable(config = "wrangler.toml") {
  const match = /^\s*migrations_table\s*=\s*"([^"]+)"/m.exec(readFileSync(config, "utf8"));
  return match ? match[1] : "d1_migrations";
}

/**
 * The seed's identity: the generator, its runner and the dev accounts it creates. A change to any
 * of them re-applies the seed (idempotent: INSERT OR IGNORE with fixed ids).
 */
export function seedInputsHash(devVars) {
  const hash = createHash("sha256");
  for (const file of ["scripts/seed-data.mjs", "scripts/seed.mjs"]) hash.update(readFileSync(file));
  for (const key of Object.keys(devVars).filter((k) => k.startsWith("SEED_")).sort()) hash.update(`${key}=${devVars[key]}\n`);
  return hash.digest("hex");
}

export function readSeedMarker(persistRoot) {
  try {
    return JSON.parse(readFileSync(join(persistRoot, SEED_MARKER), "utf8")).inputs ?? null;
  } catch {
    return null;
  }
}

export function writeSeedMarker(persistRoot, inputs) {
  writeFileSync(join(persistRoot, SEED_MARKER), `${JSON.stringify({ inputs, seededAt: new Date().toISOString() })}\n`);
}

async function openSqlite() {
  // node:sqlite prints an ExperimentalWarning on load; this process reads one file with it.
  const emitWarning = process.emitWarning;
  process.emitWarning = (warning, ...rest) => (String(warning).includes("SQLite") ? undefined : emitWarning.call(process, warning, ...rest));
  try {
    return (await import("node:sqlite")).DatabaseSync;
  } catch {
    return null;
  } finally {
    process.emitWarning = emitWarning;
  }
}

/**
 * `{ status: "fresh" }` when there is no local database yet; `{ status: "ok", applied, seeded }`
 * after reading it; `{ status: "unknown", reason }` when it cannot be read cheaply.
 */
export async function readLocalD1({ persistRoot = DEFAULT_PERSIST_ROOT, table = "d1_migrations", adminEmail }) {
  const dir = resolve(persistRoot, "v3/d1/miniflare-D1DatabaseObject");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite") : [];
  if (files.length === 0) return { status: "fresh" };
  if (files.length > 1) return { status: "unknown", reason: `${files.length} local D1 databases in ${dir}` };
  const DatabaseSync = await openSqlite();
  if (!DatabaseSync) return { status: "unknown", reason: "node:sqlite is not available" };
  let db;
  try {
    db = new DatabaseSync(join(dir, files[0]), { readOnly: true });
    const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name));
    const applied = tables.has(table) ? db.prepare(`SELECT name FROM "${table}" ORDER BY id`).all().map((r) => r.name) : [];
    const seeded = tables.has("users") && db.prepare("SELECT 1 AS found FROM users WHERE email = ? LIMIT 1").get(adminEmail) !== undefined;
    return { status: "ok", applied, seeded };
  } catch (error) {
    return { status: "unknown", reason: error instanceof Error ? error.message : String(error) };
  } finally {
    db?.close();
  }
}
