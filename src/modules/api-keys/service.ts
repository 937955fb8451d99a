/**
 * API keys for service callers of admin routes: `esk_<random>`, shown once, stored as a SHA-256
 * hash with its scopes. A caller can only grant scopes it holds itself (no escalation).
 */
import { forbidden, notFound } from "../../lib/errors";
import type { Principal } from "../../http/types";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { toIso } from "../../lib/time";
import * as repo from "./repo";
import type { ApiKey, CreateApiKeyBody } from "./schemas";

const KEY_PREFIX = "esk_";
const LAST_USED_GRANULARITY_MS = 60_000;

function toApiKey(row: repo.ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: toIso(row.createdAt),
    lastUsedAt: toIso(row.lastUsedAt),
  };
}

export async function createApiKey(env: Env, creator: Principal, input: CreateApiKeyBody, now = Date.now()) {
  if (creator.kind === "apiKey" && !input.scopes.every((s) => creator.scopes.includes(s))) {
    throw forbidden("An API key can only grant scopes it holds");
  }
  const key = `${KEY_PREFIX}${randomToken(32)}`;
  const row = {
    id: newId("key", now),
    name: input.name,
    keyHash: await sha256Hex(key),
    prefix: key.slice(0, KEY_PREFIX.length + 6),
    scopes: [...new Set(input.scopes)],
    createdBy: creator.kind === "user" ? creator.userId : creator.keyId,
    lastUsedAt: null,
    revokedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await repo.insertApiKey(env.DB, row);
  return { ...toApiKey(row), key };
}

export async function listApiKeys(env: Env): Promise<ApiKey[]> {
  return (await repo.listLiveApiKeys(env.DB)).map(toApiKey);
}

export async function deleteApiKey(env: Env, id: string, now = Date.now()): Promise<void> {
  if (!(await repo.revokeApiKey(env.DB, id, now))) throw notFound("API key");
}

/** Resolves a presented key to its live row, or null. Records use at most once a minute. */
export async function findActiveApiKey(d1: D1Database, presented: string, now = Date.now()) {
  if (!presented.startsWith(KEY_PREFIX) || presented.length > 128) return null;
  const row = await repo.findLiveApiKeyByHash(d1, await sha256Hex(presented));
  if (!row) return null;
  if (!row.lastUsedAt || now - row.lastUsedAt > LAST_USED_GRANULARITY_MS) await repo.touchApiKey(d1, row.id, now);
  return row;
}
