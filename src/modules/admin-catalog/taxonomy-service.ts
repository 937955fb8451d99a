/** Admin categories (a tree) and collections (hand-picked product sets). */
import { AppError, notFound, validationError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { toIso } from "../../lib/time";
import type { AdminCategory, AdminCollection, CreateCategoryBody, CreateCollectionBody, UpdateCategoryBody, UpdateCollectionBody } from "./schemas";
import { afterWrite, mapConstraint, slugify, versionConflict, withUniqueSlug, writeSession, type Written } from "./shared";
import * as repo from "./taxonomy-repo";

type Table = "categories" | "collections";

function toCategory(row: repo.CategoryRow): AdminCategory {
  return { id: row.id, slug: row.slug, name: row.name, parentId: row.parent_id, description: row.description, position: row.position, version: row.version, deletedAt: toIso(row.deleted_at) };
}

function toCollection(row: repo.CollectionRow, productIds: string[]): AdminCollection {
  return { id: row.id, slug: row.slug, title: row.title, description: row.description, version: row.version, deletedAt: toIso(row.deleted_at), productIds };
}

async function category(db: repo.CategoryDb, id: string) {
  const row = await repo.findCategory(db, id);
  if (!row) throw notFound("Category");
  return toCategory(row);
}

async function collection(db: repo.CategoryDb, id: string) {
  const row = await repo.findCollection(db, id);
  if (!row) throw notFound("Collection");
  return toCollection(row, await repo.collectionProductIds(db, id));
}

const slugTaken = (table: Table) => (e: unknown) => mapConstraint(e, { [`${table}.slug`]: "slug" }, "parentId");

async function assertLiveParent(db: repo.CategoryDb, parentId: string | null | undefined, selfId?: string) {
  if (!parentId) return;
  const parent = await repo.findCategory(db, parentId);
  if (!parent || parent.deleted_at !== null) throw validationError([{ path: "parentId", message: "no such category" }]);
  if (selfId && (await repo.wouldCycle(db, selfId, parentId))) {
    throw validationError([{ path: "parentId", message: "a category cannot move under itself or its descendants" }]);
  }
}

/** Creates a category, under a live parent when given. */
export async function createCategory(env: Env, input: CreateCategoryBody, now = Date.now()): Promise<Written<AdminCategory>> {
  const db = writeSession(env);
  await assertLiveParent(db, input.parentId);
  const id = newId("cat", now);
  const base = { id, parent_id: input.parentId ?? null, name: input.name, description: input.description ?? null, position: input.position ?? 0 };
  await withUniqueSlug(input.slug ?? slugify(input.name), input.slug !== undefined, "categories.slug", (slug) =>
    repo.insertCategory(db, { ...base, slug }, now),
  ).catch(slugTaken("categories"));
  return afterWrite(env, db, await category(db, id));
}

export const getCategory = (env: Env, id: string) => category(env.DB.withSession("first-primary"), id);

export async function listCategories(env: Env, includeDeleted: boolean) {
  return { data: (await repo.listCategories(env.DB.withSession("first-primary"), includeDeleted)).map(toCategory), nextCursor: null };
}

async function explain(db: repo.CategoryDb, table: Table, id: string): Promise<never> {
  const row = table === "categories" ? await repo.findCategory(db, id) : await repo.findCollection(db, id);
  if (!row || row.deleted_at !== null) throw notFound(table === "categories" ? "Category" : "Collection");
  throw versionConflict(row.version);
}

/** Updates a category; If-Match is honoured when sent. */
export async function updateCategory(env: Env, id: string, expected: number | null, patch: UpdateCategoryBody, now = Date.now()) {
  const db = writeSession(env);
  await assertLiveParent(db, patch.parentId, id);
  const ok = await repo.updateIfVersion(db, "categories", id, expected, patch, now).catch(slugTaken("categories"));
  if (!ok) await explain(db, "categories", id);
  return afterWrite(env, db, await category(db, id));
}

/** Soft delete or restore of a category or collection. */
export async function setDeleted(env: Env, table: Table, id: string, deleted: boolean, now = Date.now()): Promise<Written<null>> {
  const db = writeSession(env);
  if (!(await repo.setDeleted(db, table, id, deleted, now))) throw notFound(table === "categories" ? "Category" : "Collection");
  return afterWrite(env, db, null);
}

export async function restoreCategory(env: Env, id: string) {
  const written = await setDeleted(env, "categories", id, false);
  return { ...written, value: await category(env.DB.withSession(written.bookmark ?? "first-primary"), id) };
}

export async function createCollection(env: Env, input: CreateCollectionBody, now = Date.now()): Promise<Written<AdminCollection>> {
  const db = writeSession(env);
  const id = newId("col", now);
  await withUniqueSlug(input.slug ?? slugify(input.title), input.slug !== undefined, "collections.slug", (slug) =>
    repo.insertCollection(db, { id, slug, title: input.title, description: input.description ?? null }, now),
  ).catch(slugTaken("collections"));
  return afterWrite(env, db, await collection(db, id));
}

export const getCollection = (env: Env, id: string) => collection(env.DB.withSession("first-primary"), id);

export async function listCollections(env: Env, includeDeleted: boolean) {
  const rows = await repo.listCollections(env.DB.withSession("first-primary"), includeDeleted);
  return { data: rows.map((row) => toCollection(row, [])), nextCursor: null };
}

export async function updateCollection(env: Env, id: string, expected: number | null, patch: UpdateCollectionBody, now = Date.now()) {
  const db = writeSession(env);
  const ok = await repo.updateIfVersion(db, "collections", id, expected, patch, now).catch(slugTaken("collections"));
  if (!ok) await explain(db, "collections", id);
  return afterWrite(env, db, await collection(db, id));
}

export async function restoreCollection(env: Env, id: string) {
  const written = await setDeleted(env, "collections", id, false);
  return { ...written, value: await collection(env.DB.withSession(written.bookmark ?? "first-primary"), id) };
}

/** Adds products to a live collection; an unknown product id answers 422 and adds nothing. */
export async function addProducts(env: Env, id: string, productIds: string[]) {
  const db = writeSession(env);
  const row = await repo.findCollection(db, id);
  if (!row || row.deleted_at !== null) throw notFound("Collection");
  await repo.addToCollection(db, id, [...new Set(productIds)]).catch((e) => mapConstraint(e, {}, "productIds"));
  return afterWrite(env, db, await collection(db, id));
}

export async function removeProduct(env: Env, id: string, productId: string) {
  const db = writeSession(env);
  if (!(await repo.removeFromCollection(db, id, productId))) throw new AppError("NOT_FOUND", "Product is not in this collection", 404);
  return afterWrite(env, db, null);
}
