/**
 * Stock operations over InventoryDO: one object per variant — or, for a hot variant, a
 * coordinator and N−1 shards (docs/performance.md) — reservations taken for every line at once
 * and rolled back as a whole, admin changes recorded as a history in D1.
 */
import { AppError, conflict, notFound, validationError } from "../../lib/errors";
import { sha256Hex } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import type { ChangeResult, CommitResult, LevelView, ReserveResult } from "./ledger";
import * as repo from "./repo";

/** `shards`: how many objects hold the variant's stock (1, or absent, for one). */
export type StockLine = { variantId: string; quantity: number; shards?: number };
export type Shortage = { variantId: string; requested: number; available: number };

/** InventoryDO's RPC surface as plain promises (the generated Rpc types do not narrow unions well). */
export type StockApi = {
  reserve(key: string, checkoutId: string, qty: number, expiresAt: number, refill?: number | null): Promise<ReserveResult>;
  commit(key: string, checkoutId: string, qty: number): Promise<CommitResult>;
  release(key: string, checkoutId: string): Promise<LevelView>;
  restock(key: string, checkoutId: string): Promise<LevelView>;
  close(key: string, checkoutId: string): Promise<LevelView>;
  returnUnits(key: string, checkoutId: string, opId: string, qty: number): Promise<{ returned: number; level: LevelView }>;
  adjust(variantId: string, opId: string, delta: number, fingerprint?: string): Promise<ChangeResult>;
  set(variantId: string, opId: string, onHand: number, fingerprint?: string): Promise<ChangeResult>;
  snapshot(key: string): Promise<LevelView>;
  setShards(variantId: string, count: number): Promise<{ shards: number; level: LevelView }>;
};

/** The object of a variant's shard (`variantId#k`; shard 0 is the variant's own object, its coordinator). */
const keyOf = (variantId: string, shard: number) => (shard === 0 ? variantId : `${variantId}#${shard}`);

function stub(env: Env, key: string): StockApi {
  return env.INVENTORY.get(env.INVENTORY.idFromName(key)) as unknown as StockApi;
}

const inventoryBusy = () =>
  new AppError("RATE_LIMITED", "This item is in very high demand; try again in a moment", 429, { reason: "inventory_busy", retryAfterSeconds: 1 });

/** Calls the variant's object (or one of its shards); a broken stub is replaced once (every method is idempotent). */
export async function withStock<T>(env: Env, variantId: string, fn: (s: StockApi) => Promise<T>, shard = 0): Promise<T> {
  const key = keyOf(variantId, shard);
  try {
    return await fn(stub(env, key));
  } catch (err) {
    // Retry only a broken connection; an overloaded object gets no extra load.
    const flags = err as { retryable?: boolean; overloaded?: boolean } | null;
    // A flash sale can overload one variant's object: that is "try again", not a server fault.
    if (flags?.overloaded === true) throw inventoryBusy();
    if (flags?.retryable !== true) throw err;
    return fn(stub(env, key));
  }
}

/** The shard a checkout's hold goes to: spread by checkout, stable for the checkout. */
export function shardFor(checkoutId: string, shards: number): number {
  if (shards <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < checkoutId.length; i++) hash = Math.imul(hash ^ checkoutId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

/** The stock a cart or snapshot line takes: a bundle line takes its components × its quantity, others themselves. */
export function stockLinesOf(lines: readonly (StockLine & { components?: StockLine[] | null; stockShards?: number })[]): StockLine[] {
  return lines.flatMap((l) =>
    l.components?.length
      ? l.components.map((c) => ({ variantId: c.variantId, quantity: c.quantity * l.quantity }))
      : [{ variantId: l.variantId, quantity: l.quantity, shards: l.stockShards ?? l.shards }],
  );
}

/** Sums lines that share a variant, in variant-id order (a stable order for logs and tests). */
export function normalizeLines(lines: StockLine[]): StockLine[] {
  const sums = new Map<string, StockLine>();
  for (const line of lines) {
    const seen = sums.get(line.variantId);
    sums.set(line.variantId, { variantId: line.variantId, quantity: (seen?.quantity ?? 0) + line.quantity, shards: Math.max(seen?.shards ?? 1, line.shards ?? 1) });
  }
  return [...sums.values()].sort((a, b) => (a.variantId < b.variantId ? -1 : a.variantId > b.variantId ? 1 : 0));
}

type Taken = { variantId: string; shard: number };

/**
 * One line's hold: on the checkout's shard when the variant is split and that shard has the
 * units, else on the coordinator (which pulls the shards' free units when short, so a unit left
 * anywhere is found).
 */
async function reserveOne(env: Env, checkoutId: string, line: StockLine, expiresAt: number): Promise<{ result: ReserveResult; taken: Taken }> {
  const shard = shardFor(checkoutId, line.shards ?? 1);
  if (shard > 0) {
    const key = keyOf(line.variantId, shard);
    const result = await withStock(env, line.variantId, (s) => s.reserve(key, checkoutId, line.quantity, expiresAt), shard);
    if (result.ok) return { result, taken: { variantId: line.variantId, shard } };
    // That shard ran dry: its old hold (if any) goes, and the coordinator decides.
    await withStock(env, line.variantId, (s) => s.release(key, checkoutId), shard);
  }
  const result = await withStock(env, line.variantId, (s) => s.reserve(line.variantId, checkoutId, line.quantity, expiresAt, shard > 0 ? shard : null));
  return { result, taken: { variantId: line.variantId, shard: 0 } };
}

/** Reserves every line for the checkout — all lines at once — or none: on a shortfall it releases what it took and names each short line. */
export async function reserveLines(env: Env, checkoutId: string, lines: StockLine[], expiresAt: number): Promise<Shortage[]> {
  const ordered = normalizeLines(lines);
  const outcomes = await Promise.allSettled(ordered.map((line) => reserveOne(env, checkoutId, line, expiresAt)));
  const taken = outcomes.flatMap((o) => (o.status === "fulfilled" && o.value.result.ok ? [o.value.taken] : []));
  const fault = outcomes.find((o) => o.status === "rejected");
  const shortages: Shortage[] = outcomes.flatMap((o, i) =>
    o.status === "fulfilled" && !o.value.result.ok ? [{ variantId: ordered[i]!.variantId, requested: ordered[i]!.quantity, available: o.value.result.available }] : [],
  );
  if (!fault && shortages.length === 0) return [];
  // All or nothing: what was taken goes back before the failure is reported.
  const giveBack = Promise.all(taken.map((t) => withStock(env, t.variantId, (s) => s.release(keyOf(t.variantId, t.shard), checkoutId), t.shard)));
  if (fault) {
    await giveBack.catch(() => undefined);
    throw (fault as PromiseRejectedResult).reason;
  }
  await giveBack;
  return shortages;
}

/** Frees the checkout's holds of these variants, wherever they are; idempotent. */
export async function releaseLines(env: Env, checkoutId: string, variantIds: string[]): Promise<void> {
  await Promise.all([...new Set(variantIds)].map((variantId) => withStock(env, variantId, (s) => s.release(variantId, checkoutId))));
}

/** Sells exactly each line's quantity, all lines at once; answers the variants that could not be sold (hold lapsed and stock gone, or checkout closed). */
export async function commitLines(env: Env, checkoutId: string, lines: StockLine[]): Promise<string[]> {
  const results = await Promise.all(
    normalizeLines(lines).map(async (line) => {
      const shard = shardFor(checkoutId, line.shards ?? 1);
      let result: CommitResult | null = null;
      if (shard > 0) {
        const key = keyOf(line.variantId, shard);
        result = await withStock(env, line.variantId, (s) => s.commit(key, checkoutId, line.quantity), shard);
        // Not held on that shard (its hold was taken on the coordinator, or lapsed): the coordinator sells.
        if (!result.ok && result.code === "NO_RESERVATION") result = null;
      }
      result ??= await withStock(env, line.variantId, (s) => s.commit(line.variantId, checkoutId, line.quantity));
      return result.ok ? null : line.variantId;
    }),
  );
  return results.filter((v): v is string => v !== null);
}

/** Puts a sold checkout's units back on hand; idempotent. */
export async function restockLines(env: Env, checkoutId: string, variantIds: string[]): Promise<void> {
  await Promise.all([...new Set(variantIds)].map((variantId) => withStock(env, variantId, (s) => s.restock(variantId, checkoutId))));
}

/**
 * Puts returned units back on hand, once per return (`returnId`): each variant's object shrinks
 * the checkout's sale by what comes back, so a later cancel or refund never restocks them twice.
 */
export async function returnUnitsOf(env: Env, checkoutId: string, returnId: string, lines: StockLine[]): Promise<void> {
  for (const line of normalizeLines(lines)) {
    await withStock(env, line.variantId, (s) => s.returnUnits(line.variantId, checkoutId, `return:${returnId}:${line.variantId}`, line.quantity));
  }
}

/**
 * For a checkout that will never be an order: frees what it holds, returns what it bought, and
 * leaves a tombstone per variant (on every shard) so that a finalize still running elsewhere cannot sell to it.
 */
export async function closeLines(env: Env, checkoutId: string, variantIds: string[]): Promise<void> {
  await Promise.all([...new Set(variantIds)].map((variantId) => withStock(env, variantId, (s) => s.close(variantId, checkoutId))));
}

/** Admin: splits a variant's stock over `count` objects (1 = one object), for a sale past one object's throughput. */
export async function setShards(env: Env, variantId: string, count: number) {
  await requireVariant(env, variantId);
  if (!Number.isSafeInteger(count) || count < 1 || count > 16) throw validationError([{ path: "count", message: "between 1 and 16" }]);
  const { level } = await withStock(env, variantId, (s) => s.setShards(variantId, count));
  // Checkouts locked from now on spread their holds over the shards (the count travels with their priced lines).
  await repo.setStockShards(env.DB, variantId, count);
  return { ...toLevel(level), shards: count };
}

async function requireVariant(env: Env, variantId: string) {
  if (!(await repo.variantExists(env.DB, variantId))) throw notFound("Variant");
}

export type InventoryLevel = { variantId: string; onHand: number; reserved: number; available: number };
const toLevel = (l: LevelView): InventoryLevel => ({ variantId: l.variantId, onHand: l.onHand, reserved: l.reserved, available: l.available });

/** The authoritative level of a variant. */
export async function getLevel(env: Env, variantId: string): Promise<InventoryLevel> {
  await requireVariant(env, variantId);
  return toLevel(await withStock(env, variantId, (s) => s.snapshot(variantId)));
}

function settle(result: ChangeResult): { level: LevelView; previousOnHand: number } {
  if (result.ok) return { level: result.level, previousOnHand: result.previousOnHand ?? result.level.onHand };
  if (result.code === "IDEMPOTENCY_CONFLICT") throw new AppError("IDEMPOTENCY_CONFLICT", "Idempotency-Key was used with another request", 422);
  throw conflict("On-hand stock cannot go below what is reserved", { reserved: result.level.reserved, onHand: result.level.onHand });
}

/**
 * The operation id of an admin stock change: derived from the Idempotency-Key when there is one,
 * so a retried request is applied once by the object and recorded once in the history.
 */
async function operationId(variantId: string, key: string | undefined, now: number): Promise<string> {
  if (!key) return newId("adj", now);
  return `adj_k${(await sha256Hex(`inventory:${variantId}:${key}`)).slice(0, 32)}`;
}

type StockChange = { variantId: string; actor: string | null; idempotencyKey?: string };

async function recordChange(env: Env, input: StockChange, opId: string, outcome: { level: LevelView; previousOnHand: number }, reason: string, now: number) {
  await repo.insertAdjustment(env.DB, {
    id: opId,
    variantId: input.variantId,
    delta: outcome.level.onHand - outcome.previousOnHand,
    onHandAfter: outcome.level.onHand,
    reason,
    actor: input.actor,
    createdAt: now,
  });
  return toLevel(outcome.level);
}

/**
 * Adds `delta` units (negative to remove) with a reason kept in the adjustment history. The
 * object applies the change before D1 records it; a retry under the same Idempotency-Key gets the
 * first outcome from the object and writes the history row it may have missed (once).
 */
export async function adjustLevel(env: Env, input: StockChange & { delta: number; reason: string }, now = Date.now()) {
  await requireVariant(env, input.variantId);
  const opId = await operationId(input.variantId, input.idempotencyKey, now);
  const fingerprint = `adjust:${input.delta}:${input.reason}`;
  const outcome = settle(await withStock(env, input.variantId, (s) => s.adjust(input.variantId, opId, input.delta, fingerprint)));
  return recordChange(env, input, opId, outcome, input.reason, now);
}

/** Sets on-hand stock; the difference is kept in the adjustment history. Idempotent per key like `adjustLevel`. */
export async function setLevel(env: Env, input: StockChange & { onHand: number }, now = Date.now()) {
  await requireVariant(env, input.variantId);
  const opId = await operationId(input.variantId, input.idempotencyKey, now);
  const outcome = settle(await withStock(env, input.variantId, (s) => s.set(input.variantId, opId, input.onHand, `set:${input.onHand}`)));
  return recordChange(env, input, opId, outcome, "set", now);
}
