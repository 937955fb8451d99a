/** D1 access for API keys. Revocation is a conditional write: a key is revoked once. */
import type { apiKeys } from "../../db/schema";

export type ApiKeyRow = typeof apiKeys.$inferSelect;
/** A row as D1 answers it: the scopes still JSON text. */
type StoredApiKeyRow = Omit<ApiKeyRow, "scopes"> & { scopes: string };

const COLUMNS = `id, name, key_hash AS keyHash, prefix, scopes, created_by AS createdBy, last_used_at AS lastUsedAt,
  revoked_at AS revokedAt, created_at AS createdAt, updated_at AS updatedAt`;

const toApiKeyRow = (row: StoredApiKeyRow): ApiKeyRow => ({ ...row, scopes: JSON.parse(row.scopes) as string[] });

export async function insertApiKey(d1: D1Database, row: ApiKeyRow) {
  await d1
    .prepare(
      `INSERT INTO api_keys (id, name, key_hash, prefix, scopes, created_by, last_used_at, revoked_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(row.id, row.name, row.keyHash, row.prefix, JSON.stringify(row.scopes), row.createdBy, row.lastUsedAt, row.revokedAt, row.createdAt, row.updatedAt)
    .run();
}

export async function findLiveApiKeyByHash(d1: D1Database, keyHash: string) {
  const row = await d1.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`).bind(keyHash).first<StoredApiKeyRow>();
  return row && toApiKeyRow(row);
}

export async function listLiveApiKeys(d1: D1Database) {
  const { results } = await d1
    .prepare(`SELECT ${COLUMNS} FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at DESC LIMIT 100`)
    .all<StoredApiKeyRow>();
  return results.map(toApiKeyRow);
}

export async function revokeApiKey(d1: D1Database, id: string, now: number): Promise<boolean> {
  const result = await d1.prepare("UPDATE api_keys SET revoked_at = ?, updated_at = ? WHERE id = ? AND revoked_at IS NULL").bind(now, now, id).run();
  return result.meta.changes === 1;
}

export async function touchApiKey(d1: D1Database, id: string, now: number) {
  await d1.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?").bind(now, id).run();
}
