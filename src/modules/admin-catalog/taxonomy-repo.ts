/** Admin SQL for categories and collections (small tables; soft delete, versioned writes). */
import type { D1Like } from "../catalog/repo";

export type CategoryDb = D1Like;

export type CategoryRow = {
  id: string;
  parent_id: string | null;
  slug: string;
  name: string;
  description: string | null;
  position: number;
  version: number;
  deleted_at: number | null;
};
export type CollectionRow = { id: string; slug: string; title: string; description: string | null; version: number; deleted_at: number | null };

export async function insertCategory(db: D1Like, row: Omit<CategoryRow, "version" | "deleted_at">, now: number) {
  await db
    .prepare(`INSERT INTO categories (id, parent_id, slug, name, description, position, version, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`)
    .bind(row.id, row.parent_id, row.slug, row.name, row.description, row.position, now, now)
    .run();
}

export function findCategory(db: D1Like, id: string) {
  return db.prepare("SELECT id, parent_id, slug, name, description, position, version, deleted_at FROM categories WHERE id = ?").bind(id).first<CategoryRow>();
}

export async function listCategories(db: D1Like, includeDeleted: boolean) {
  const where = includeDeleted ? "" : "WHERE deleted_at IS NULL";
  const sql = `SELECT id, parent_id, slug, name, description, position, version, deleted_at FROM categories ${where} ORDER BY position, name LIMIT 1000`;
  return (await db.prepare(sql).all<CategoryRow>()).results;
}

/** True when `candidateParent` is `id` itself or one of its descendants (the move would make a cycle). */
export async function wouldCycle(db: D1Like, id: string, candidateParent: string): Promise<boolean> {
  const row = await db
    .prepare(`WITH RECURSIVE up(id, parent_id) AS (
        SELECT id, parent_id FROM categories WHERE id = ?1
        UNION SELECT c.id, c.parent_id FROM categories c JOIN up ON c.id = up.parent_id)
      SELECT 1 AS hit FROM up WHERE id = ?2 LIMIT 1`)
    .bind(candidateParent, id)
    .first();
  return row !== null;
}

const FIELDS: Record<string, string> = { name: "name", slug: "slug", parentId: "parent_id", description: "description", position: "position", title: "title" };

/** One conditional UPDATE; `expected` null means "any version" (If-Match is optional here). */
export async function updateIfVersion(
  db: D1Like,
  table: "categories" | "collections",
  id: string,
  expected: number | null,
  patch: Record<string, unknown>,
  now: number,
): Promise<boolean> {
  const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
  const sets = entries.map(([k]) => `${FIELDS[k]} = ?`);
  const versionCheck = expected === null ? "" : " AND version = ?";
  const row = await db
    .prepare(`UPDATE ${table} SET ${[...sets, "version = version + 1", "updated_at = ?"].join(", ")}
      WHERE id = ? AND deleted_at IS NULL${versionCheck} RETURNING id`)
    .bind(...entries.map(([, v]) => v), now, id, ...(expected === null ? [] : [expected]))
    .first();
  return row !== null;
}

export async function setDeleted(db: D1Like, table: "categories" | "collections", id: string, deleted: boolean, now: number) {
  const sql = deleted
    ? `UPDATE ${table} SET deleted_at = ?1, version = version + 1, updated_at = ?1 WHERE id = ?2 AND deleted_at IS NULL RETURNING id`
    : `UPDATE ${table} SET deleted_at = NULL, version = version + 1, updated_at = ?1 WHERE id = ?2 AND deleted_at IS NOT NULL RETURNING id`;
  return (await db.prepare(sql).bind(now, id).first()) !== null;
}

export async function insertCollection(db: D1Like, row: Omit<CollectionRow, "version" | "deleted_at">, now: number) {
  await db
    .prepare("INSERT INTO collections (id, slug, title, description, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)")
    .bind(row.id, row.slug, row.title, row.description, now, now)
    .run();
}

export function findCollection(db: D1Like, id: string) {
  return db.prepare("SELECT id, slug, title, description, version, deleted_at FROM collections WHERE id = ?").bind(id).first<CollectionRow>();
}

export async function listCollections(db: D1Like, includeDeleted: boolean) {
  const where = includeDeleted ? "" : "WHERE deleted_at IS NULL";
  return (await db.prepare(`SELECT id, slug, title, description, version, deleted_at FROM collections ${where} ORDER BY title LIMIT 1000`).all<CollectionRow>()).results;
}

export async function collectionProductIds(db: D1Like, collectionId: string): Promise<string[]> {
  const sql = "SELECT product_id FROM product_collections WHERE collection_id = ? ORDER BY position, product_id LIMIT 1000";
  return (await db.prepare(sql).bind(collectionId).all<{ product_id: string }>()).results.map((r) => r.product_id);
}

/** Adds products (ignoring ones already in) in one batch; unknown product ids fail the foreign key. */
export async function addToCollection(db: D1Like, collectionId: string, productIds: string[]) {
  await db.batch(
    productIds.map((productId) =>
      db
        .prepare(`INSERT INTO product_collections (collection_id, product_id, position)
          VALUES (?1, ?2, (SELECT coalesce(max(position), -1) + 1 FROM product_collections WHERE collection_id = ?1))
          ON CONFLICT DO NOTHING`)
        .bind(collectionId, productId),
    ),
  );
}

export async function removeFromCollection(db: D1Like, collectionId: string, productId: string): Promise<boolean> {
  const row = await db
    .prepare("DELETE FROM product_collections WHERE collection_id = ? AND product_id = ? RETURNING product_id")
    .bind(collectionId, productId)
    .first();
  return row !== null;
}
