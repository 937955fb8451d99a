/**
 * Automatic persisted queries (Apollo's APQ protocol): a client sends only the SHA-256 of its
 * query; an unknown hash answers PERSISTED_QUERY_NOT_FOUND and the client sends query and hash
 * once, which registers it. From then on the query is a short GET URL an edge cache can keep.
 * Registrations live in KV (shared by every isolate) behind a small in-isolate LRU; a query is
 * registered only after it parsed and validated, and only under its own hash.
 */
import { Lru } from "../lib/lru";
import { sha256Hex } from "../lib/crypto";

const KV_PREFIX = "apq:";
const TTL_SECONDS = 30 * 24 * 3600;
const MEMO_MS = 10 * 60_000;
const HASH = /^[0-9a-f]{64}$/;

// Per env object, like the catalog cache: one per isolate in production, one per test file.
const memos = new WeakMap<object, Lru<string>>();
function memoOf(env: Env): Lru<string> {
  let memo = memos.get(env);
  if (!memo) memos.set(env, (memo = new Lru<string>({ maxEntries: 1_000, maxBytes: 4 * 1024 * 1024 })));
  return memo;
}

export const isSha256Hex = (hash: string) => HASH.test(hash);

/** The registered query of a hash, or null. */
export async function findPersisted(env: Env, hash: string, now = Date.now()): Promise<string | null> {
  const memo = memoOf(env);
  const known = memo.get(hash, now);
  if (known !== undefined) return known;
  const stored = await env.CACHE.get(KV_PREFIX + hash).catch(() => null);
  if (stored !== null) memo.set(hash, stored, stored.length * 2, now + MEMO_MS);
  return stored;
}

/** Whether `hash` is the SHA-256 of `query` (hex, as the protocol sends it). */
export async function hashMatches(query: string, hash: string): Promise<boolean> {
  return (await sha256Hex(query)) === hash;
}

/** Registers a valid query under its hash; the KV write finishes in the background. */
export function registerPersisted(env: Env, waitUntil: (p: Promise<unknown>) => void, hash: string, query: string, now = Date.now()): void {
  const memo = memoOf(env);
  if (memo.get(hash, now) !== undefined) return;
  memo.set(hash, query, query.length * 2, now + MEMO_MS);
  waitUntil(env.CACHE.put(KV_PREFIX + hash, query, { expirationTtl: TTL_SECONDS }).catch(() => undefined));
}
