/**
 * Translated catalog text: a title and description per locale for products, variants, categories
 * and collections. The store picks the request's locale and falls back to the row's own text
 * (the default language). Writes start a new catalog generation, so cached pages in every
 * language are replaced; product translations are searchable (product_translations_fts).
 */
import { notFound } from "../../lib/errors";
import { afterWrite, writeSession, type Written } from "../admin-catalog/shared";
import type { D1Like } from "../catalog/repo";
import type { Translation, TranslationBody } from "./schemas";

export type TranslatableKind = "product" | "variant" | "category" | "collection";

const TABLES: Record<TranslatableKind, string> = { product: "products", variant: "product_variants", category: "categories", collection: "collections" };

async function exists(db: D1Like, kind: TranslatableKind, id: string): Promise<boolean> {
  return (await db.prepare(`SELECT 1 AS x FROM ${TABLES[kind]} WHERE id = ? AND deleted_at IS NULL`).bind(id).first()) !== null;
}

/** Locales are stored as written in LOCALES' case convention: language lower-case, region upper-case. */
export function canonicalLocale(tag: string): string {
  const [language = "", ...rest] = tag.split("-");
  return [language.toLowerCase(), ...rest.map((part) => (part.length === 2 ? part.toUpperCase() : part))].join("-");
}

/** Sets the entity's text in one locale (creating or replacing it). */
export async function putTranslation(env: Env, kind: TranslatableKind, id: string, rawLocale: string, body: TranslationBody, now = Date.now()): Promise<Written<Translation>> {
  const db = writeSession(env);
  if (!(await exists(db, kind, id))) throw notFound(kind[0]!.toUpperCase() + kind.slice(1));
  const locale = canonicalLocale(rawLocale);
  await db
    .prepare(
      `INSERT INTO translations (entity_type, entity_id, locale, title, description, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (entity_type, entity_id, locale) DO UPDATE SET title = excluded.title, description = excluded.description, updated_at = excluded.updated_at`,
    )
    .bind(kind, id, locale, body.title, body.description ?? null, now)
    .run();
  return afterWrite(env, db, { locale, title: body.title, description: body.description ?? null });
}

export async function listTranslations(env: Env, kind: TranslatableKind, id: string): Promise<Translation[]> {
  const db = env.DB.withSession("first-primary");
  if (!(await exists(db, kind, id))) throw notFound(kind[0]!.toUpperCase() + kind.slice(1));
  const { results } = await db
    .prepare("SELECT locale, title, description FROM translations WHERE entity_type = ? AND entity_id = ? ORDER BY locale")
    .bind(kind, id)
    .all<Translation>();
  return results;
}

export async function deleteTranslation(env: Env, kind: TranslatableKind, id: string, rawLocale: string): Promise<Written<null>> {
  const db = writeSession(env);
  const deleted = await db
    .prepare("DELETE FROM translations WHERE entity_type = ? AND entity_id = ? AND locale = ? RETURNING locale")
    .bind(kind, id, canonicalLocale(rawLocale))
    .first();
  if (!deleted) throw notFound("Translation");
  return afterWrite(env, db, null);
}
