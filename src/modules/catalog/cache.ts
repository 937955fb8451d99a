/**
 * Tiered cache for catalog reads: in-isolate LRU (seconds) → KV (minutes) → D1.
 * Every key carries the catalog generation (`catalog:gen` in KV), which admin writes replace, so
 * invalidation never scans keys. Entries past their fresh time are still served while ONE
 * background refresh per key runs in waitUntil (stale-while-revalidate), so a hot page never
 * waits on D1. The generation also records the D1 bookmark of the write that made it: cache
 * fills read through a session at that bookmark, so a lagging replica can never store pre-edit
 * rows under a post-edit key.
 */
import { getConfig } from "../../env";
import { createLogger } from "../../lib/log";
import { Lru } from "../../lib/lru";
import { toHex } from "../../lib/crypto";
import type { D1Like } from "./repo";

export type CacheStatus = "HIT-MEMORY" | "HIT-KV" | "MISS";
export type CachedBody = { body: string; etag: string };
/** `key`: the page's key without its generation, on answers served from this isolate's memory. */
export type CacheAnswer = CachedBody & { status: CacheStatus; bookmark: string | null; key?: string };
/**
 * `g`: the catalog generation; `b`: the bookmark of the write that made it; `m`: the generation in
 * which the market configuration last changed (absent before the first such write: then `g`), so a
 * catalog-only write leaves the configuration's cache entries in place.
 */
export type Generation = { g: string; b: string | null; m?: string };

/** Freshness windows; the staleness bounds in docs/caching.md follow from these numbers. */
export const TTL = {
  memoryFreshMs: 15_000,
  memoryStaleMs: 45_000,
  kvFreshMs: 60_000,
  kvExpirySeconds: 300,
  generationMemoMs: 1_000,
  generationKvCacheTtlSeconds: 30,
};
const GEN_KEY = "catalog:gen";
const encoder = new TextEncoder();

/** `kvFreshUntil`: until when KV is known to hold this same body (0 when unknown). */
type MemoryEntry = CachedBody & { freshUntil: number; kvFreshUntil: number };
type KvMeta = { etag: string; freshUntil: number };
type IsolateState = {
  lru: Lru<MemoryEntry>;
  gen?: { value: Generation; until: number };
  /** Keys being loaded by some request: a stale hit starts no second refresh of them. */
  inflight: Set<string>;
};

// Keyed by the env object (one per isolate in production, one per test file under vitest), so
// tests never see another file's cached pages.
const states = new WeakMap<object, IsolateState>();

function stateOf(env: Env): IsolateState {
  let state = states.get(env);
  if (!state) {
    state = { lru: new Lru({ maxEntries: 2_000, maxBytes: 16 * 1024 * 1024 }), inflight: new Set() };
    states.set(env, state);
  }
  return state;
}

export type ReadContext = {
  env: Env;
  waitUntil: (promise: Promise<unknown>) => void;
  /** X-D1-Bookmark from the client: it wants to see its own writes. */
  bookmark?: string | null;
  now?: number;
};
export type Loader = (db: D1Like) => Promise<unknown>;

/** Bookmarks are fixed-width hex fields, so string order is log order; unknown shapes count as newer. */
export function isNewerBookmark(candidate: string, known: string | null): boolean {
  if (!known || candidate.length !== known.length) return true;
  return candidate > known;
}

async function etagOf(body: string): Promise<string> {
  return `"${toHex(await crypto.subtle.digest("SHA-1", encoder.encode(body))).slice(0, 20)}"`;
}

async function loadFromD1(env: Env, anchor: string | null, load: Loader) {
  const session = env.DB.withSession(anchor ?? "first-unconstrained");
  const body = JSON.stringify(await load(session));
  return { body, etag: await etagOf(body), bookmark: session.getBookmark() };
}

/** The catalog generation this isolate believes in, re-read from KV at most once a second. */
export async function currentGeneration(env: Env, now = Date.now(), force = false): Promise<Generation> {
  const state = stateOf(env);
  if (!force && state.gen && state.gen.until > now) return state.gen.value;
  return readGeneration(env, state);
}

async function readGeneration(env: Env, state: IsolateState): Promise<Generation> {
  let gen: Generation;
  try {
    gen = (await env.CACHE.get<Generation>(GEN_KEY, { type: "json", cacheTtl: TTL.generationKvCacheTtlSeconds })) ?? { g: "0", b: null };
  } catch {
    // KV unavailable: keep the generation we knew (pages are then read through to D1 anyway).
    gen = state.gen?.value ?? { g: "0", b: null };
  }
  state.gen = { value: gen, until: Date.now() + TTL.generationMemoMs };
  return gen;
}

/**
 * Starts a new catalog generation after an admin write and drops the given keys of the old one.
 * `markets`: the write changed the market configuration (regions, tax rates, shipping methods),
 * whose cache entries otherwise stay. Two bumps at once can lose that mark (the last write of the
 * generation wins); the configuration's entries then refresh within their freshness windows.
 */
export async function bumpGeneration(env: Env, bookmark: string | null, staleKeys: string[] = [], opts: { markets?: boolean } = {}): Promise<void> {
  if (getConfig(env).CACHE_MODE === "none") return;
  const state = stateOf(env);
  const old = await currentGeneration(env);
  const g = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const next: Generation = { g, b: bookmark, m: opts.markets ? g : (old.m ?? old.g) };
  state.gen = { value: next, until: Date.now() + TTL.generationMemoMs };
  const oldKeys = staleKeys.map((key) => `cat:${old.g}:${key}`);
  for (const key of oldKeys) state.lru.delete(key);
  try {
    await Promise.all([env.CACHE.put(GEN_KEY, JSON.stringify(next)), ...oldKeys.map((key) => env.CACHE.delete(key))]);
  } catch (error) {
    // The D1 write already committed: never fail it over the cache. KV allows about one write per
    // second per key, so a burst of edits can be refused here; the next bump or the TTLs catch up.
    createLogger().warn("catalog_generation_bump_failed", { reason: error instanceof Error ? error.name : "unknown" });
  }
}

/** ±20 % so keys filled together do not all go stale, and refresh, in the same second. */
const jittered = (ms: number) => Math.round(ms * (0.8 + 0.4 * Math.random()));

function remember(state: IsolateState, key: string, entry: CachedBody, now: number, kvFreshUntil = 0) {
  const value = { ...entry, freshUntil: now + jittered(TTL.memoryFreshMs), kvFreshUntil };
  state.lru.set(key, value, entry.body.length * 2 + 128, value.freshUntil + TTL.memoryStaleMs);
}

/** Loads a page from D1 and writes it back to the layers CACHE_MODE uses. */
function fill(ctx: ReadContext, key: string, gen: Generation, load: Loader): Promise<CachedBody> {
  const state = stateOf(ctx.env);
  // No promise is shared between requests: workerd runs the continuation of a promise settled by
  // another request's I/O in that request's context, and an answer built there cannot be sent
  // ("Cannot perform I/O on behalf of a different request"). Concurrent misses each read D1.
  state.inflight.add(key);
  return loadAndRemember(ctx, key, gen, load).finally(() => state.inflight.delete(key));
}

function loadAndRemember(ctx: ReadContext, key: string, gen: Generation, load: Loader): Promise<CachedBody> {
  const state = stateOf(ctx.env);
  const mode = getConfig(ctx.env).CACHE_MODE;
  return loadFromD1(ctx.env, gen.b, load).then(({ body, etag }) => {
    const now = ctx.now ?? Date.now();
    const previous = mode === "tiered" ? state.lru.get(key, now) : undefined;
    let kvFreshUntil = previous?.etag === etag ? previous.kvFreshUntil : 0;
    // A memory refresh that found the same body does not rewrite KV while KV's copy is fresh:
    // KV writes are slow, billed, and limited to about one per second per key.
    if (mode !== "memory" && kvFreshUntil <= now) {
      const metadata: KvMeta = { etag, freshUntil: now + jittered(TTL.kvFreshMs) };
      kvFreshUntil = metadata.freshUntil;
      ctx.waitUntil(ctx.env.CACHE.put(key, body, { expirationTtl: TTL.kvExpirySeconds, metadata }).catch(() => undefined));
    }
    if (mode !== "kv") remember(state, key, { body, etag }, now, kvFreshUntil);
    return { body, etag };
  });
}

function refreshInBackground(ctx: ReadContext, key: string, gen: Generation, load: Loader) {
  if (stateOf(ctx.env).inflight.has(key)) return;
  ctx.waitUntil(fill(ctx, key, gen, load).catch(() => undefined));
}

/**
 * The page under `key` when this isolate's memory holds it fresh under a generation it believes
 * in right now — what `serveCached` would answer HIT-MEMORY without starting anything — else
 * null. Never waits and never refreshes: a caller that gets null goes through `serveCached`.
 */
export function peekFresh(env: Env, key: string, now = Date.now()): CachedBody | null {
  const mode = getConfig(env).CACHE_MODE;
  if (mode === "none" || mode === "kv") return null;
  const state = stateOf(env);
  if (!state.gen || state.gen.until <= now) return null;
  const hit = state.lru.get(`cat:${state.gen.value.g}:${key}`, now);
  return hit && hit.freshUntil > now ? hit : null;
}

/**
 * Serves one catalog read through the layers CACHE_MODE selects. `scope: "markets"` keys it by
 * the generation of the market configuration instead of the catalog's.
 */
export async function serveCached(ctx: ReadContext, key: string, load: Loader, scope: "catalog" | "markets" = "catalog"): Promise<CacheAnswer> {
  const { env } = ctx;
  const mode = getConfig(env).CACHE_MODE;
  if (mode === "none") return { ...(await loadFromD1(env, ctx.bookmark ?? null, load)), status: "MISS" };
  let gen = await currentGeneration(env, ctx.now);
  if (ctx.bookmark && isNewerBookmark(ctx.bookmark, gen.b)) {
    // The client wrote something this isolate may not know about yet: ask KV, else read D1 directly.
    gen = await currentGeneration(env, ctx.now, true);
    if (isNewerBookmark(ctx.bookmark, gen.b)) return { ...(await loadFromD1(env, ctx.bookmark, load)), status: "MISS" };
  }
  const fullKey = `cat:${scope === "markets" ? (gen.m ?? gen.g) : gen.g}:${key}`;
  const state = stateOf(env);
  const now = ctx.now ?? Date.now();
  if (mode !== "kv") {
    const hit = state.lru.get(fullKey, now);
    if (hit) {
      if (hit.freshUntil <= now) refreshInBackground(ctx, fullKey, gen, load);
      return { body: hit.body, etag: hit.etag, status: "HIT-MEMORY", bookmark: ctx.bookmark ?? null, key };
    }
  }
  if (mode !== "memory") {
    const stored = await env.CACHE.getWithMetadata<KvMeta>(fullKey).catch(() => ({ value: null, metadata: null }));
    if (stored.value !== null && stored.metadata) {
      const entry = { body: stored.value, etag: stored.metadata.etag };
      if (mode !== "kv") remember(state, fullKey, entry, now, stored.metadata.freshUntil);
      if (stored.metadata.freshUntil <= now) refreshInBackground(ctx, fullKey, gen, load);
      return { ...entry, status: "HIT-KV", bookmark: ctx.bookmark ?? null };
    }
  }
  return { ...(await fill(ctx, fullKey, gen, load)), status: "MISS", bookmark: ctx.bookmark ?? null };
}
