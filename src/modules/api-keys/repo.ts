import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { apiKeys } from "../../db/schema";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export async function insertApiKey(db: Db, row: typeof apiKeys.$inferInsert) {
  await db.insert(apiKeys).values(row);
}

export function findLiveApiKeyByHash(db: Db, keyHash: string) {
  return db.query.apiKeys.findFirst({ where: and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)) });
}

export function listLiveApiKeys(db: Db) {
  return db.select().from(apiKeys).where(isNull(apiKeys.revokedAt)).orderBy(desc(apiKeys.createdAt)).limit(100);
}

export async function revokeApiKey(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db
    .update(apiKeys)
    .set({ revokedAt: now, updatedAt: now })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .run();
  return result.meta.changes === 1;
}

export async function touchApiKey(db: Db, id: string, now: number) {
  await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, id)).run();
}
