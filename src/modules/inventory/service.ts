/**
 * Stock operations over InventoryDO: one object per variant, reservations taken in variant-id
 * order and rolled back as a whole, admin changes recorded as a history in D1.
 */
import { AppError, conflict, notFound } from "../../lib/errors";
import { sha256Hex } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import type { ChangeResult, CommitResult, LevelView, ReserveResult } from "./ledger";
import * as repo from "./repo";

export type StockLine = { variantId: string; quantity: number };
export type Shortage = { variantId: string; requested: number; available: number };

/** InventoryDO's RPC surface as plain promises (the generated Rpc types do not narrow unions well). */
export type StockApi = {
  reserve(variantId: string, checkoutId: string, qty: number, expiresAt: number): Promise<ReserveResult>;
  commit(variantId: string, checkoutId: string, qty: number): Promise<CommitResult>;
  release(variantId: string, checkoutId: string): Promise<LevelView>;
  restock(variantId: string, checkoutId: string): Promise<LevelView>;
  close(variantId: string, checkoutId: string): Promise<LevelView>;
  returnUnits(variantId: string, checkoutId: string, opId: string, qty: number): Promise<{ returned: number; level: LevelView }>;
  adjust(variantId: string, opId: string, delta: number, fingerprint?: string): Promise<ChangeResult>;
  set(variantId: string, opId: string, onHand: number, fingerprint?: string): Promise<ChangeResult>;
  snapshot(variantId: string): Promise<LevelView>;
};

function stub(env: Env, variantId: string): StockApi {
  return env.INVENTORY.get(env.INVENTORY.idFromName(variantId)) as unknown as StockApi;
}

const inventoryBusy = () =>
  new AppError("RATE_LIMITED", "This item is in very high demand; try again in a moment", 429, { reason: "inventory_busy", retryAfterSeconds: 1 });

/** Calls the variant's object; a broken stub is replaced once (every method is idempotent). */
export async function withStock<T>(env: Env, variantId: string, fn: (s: StockApi) => Promise<T>): Promise<T> {
  try {
    return await fn(stub(env, variantId));
  } catch (err) {
    // Retry only a broken connection; an overloaded object gets no extra load.
    const flags = err as { retryable?: boolean; overloaded?: boolean } | null;
    // A flash sale can overload one variant's object: that is "try again", not a server fault.
    if (flags?.overloaded === true) throw inventoryBusy();
    if (flags?.retryable !== true) throw err;
    return fn(stub(env, variantId));
  }
}

/** The stock a cart or snapshot line takes: a bundle line takes its components × its quantity, others themselves. */
export function stockLinesOf(lines: readonly (StockLine & { components?: StockLine[] | null })[]): StockLine[] {
  return lines.flatMap((l) => (l.components?.length ? l.components.map((c) => ({ variantId: c.variantId, quantity: c.quantity * l.quantity })) : [{ variantId: l.variantId, quantity: l.quantity }]));
}

/** Sums lines that share a variant and sorts by variant id, the fixed order that avoids deadlock-like contention. */
export function normalizeLines(lines: StockLine[]): StockLine[] {
  const sums = new Map<string, number>();
  for (const line of lines) sums.set(line.variantId, (sums.get(line.variantId) ?? 0) + line.quantity);
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([variantId, quantity]) => ({ variantId, quantity }));
}

/** Reserves every line for the checkout or none: on a shortfall it releases what it took and names each short line. */
export async function reserveLines(env: Env, checkoutId: string, lines: StockLine[], expiresAt: number): Promise<Shortage[]> {
  const ordered = normalizeLines(lines);
  const taken: string[] = [];
  for (const [i, line] of ordered.entries()) {
    let result: ReserveResult;
    try {
      result = await withStock(env, line.variantId, (s) => s.reserve(line.variantId, checkoutId, line.quantity, expiresAt));
    } catch (err) {
      // All or nothing: what was taken goes back before the failure is reported.
      await releaseLines(env, checkoutId, taken).catch(() => undefined);
      throw err;
    }
    if (result.ok) {
      taken.push(line.variantId);
      continue;
    }
    await releaseLines(env, checkoutId, taken);
    const shortages: Shortage[] = [{ variantId: line.variantId, requested: line.quantity, available: result.available }];
    for (const rest of ordered.slice(i + 1)) {
      const level = await withStock(env, rest.variantId, (s) => s.snapshot(rest.variantId));
      if (level.available < rest.quantity) shortages.push({ variantId: rest.variantId, requested: rest.quantity, available: level.available });
    }
    return shortages;
  }
  return [];
}

export async function releaseLines(env: Env, checkoutId: string, variantIds: string[]): Promise<void> {
  for (const variantId of variantIds) await withStock(env, variantId, (s) => s.release(variantId, checkoutId));
}

/** Sells exactly each line's quantity; answers the variants that could not be sold (hold lapsed and stock gone, or checkout closed). */
export async function commitLines(env: Env, checkoutId: string, lines: StockLine[]): Promise<string[]> {
  const failed: string[] = [];
  for (const line of normalizeLines(lines)) {
    const result = await withStock(env, line.variantId, (s) => s.commit(line.variantId, checkoutId, line.quantity));
    if (!result.ok) failed.push(line.variantId);
  }
  return failed;
}

/** Puts a sold checkout's units back on hand; idempotent. */
export async function restockLines(env: Env, checkoutId: string, variantIds: string[]): Promise<void> {
  for (const variantId of [...new Set(variantIds)]) await withStock(env, variantId, (s) => s.restock(variantId, checkoutId));
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
 * leaves a tombstone per variant so that a finalize still running elsewhere cannot sell to it.
 */
export async function closeLines(env: Env, checkoutId: string, variantIds: string[]): Promise<void> {
  for (const variantId of [...new Set(variantIds)].sort()) await withStock(env, variantId, (s) => s.close(variantId, checkoutId));
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
