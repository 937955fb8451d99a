/**
 * Pure decisions of the stock ledger InventoryDO keeps for one variant. The object reads its rows,
 * asks these functions what to do, and writes the outcome in the same synchronous step.
 *
 * A hold belongs to one checkout and is keyed by what it reserves: reserving again with another
 * quantity moves the hold to that quantity (or fails), and a commit sells exactly the quantity on
 * the order. `closed` is final: the checkout can never become an order (its payment is being
 * refunded), so nothing may be reserved or sold for it again, and what it held or sold went back.
 */
export type Level = { onHand: number; reserved: number; version: number };
export type HoldStatus = "held" | "committed" | "released" | "returned" | "closed";
export type Hold = { qty: number; status: HoldStatus };

export type LevelView = { variantId: string; onHand: number; reserved: number; available: number; version: number };

export type ReserveResult =
  | { ok: true; level: LevelView }
  | { ok: false; code: "INSUFFICIENT_INVENTORY"; available: number; level: LevelView };
export type CommitResult = { ok: true; level: LevelView } | { ok: false; code: "NO_RESERVATION" | "INSUFFICIENT_INVENTORY" | "CHECKOUT_CLOSED"; level: LevelView };
export type ChangeResult =
  | { ok: true; level: LevelView; previousOnHand: number }
  | { ok: false; code: "BELOW_RESERVED"; level: LevelView }
  | { ok: false; code: "IDEMPOTENCY_CONFLICT"; level: LevelView };

export const available = (level: Level) => Math.max(0, level.onHand - level.reserved);

export function view(variantId: string, level: Level): LevelView {
  return { variantId, onHand: level.onHand, reserved: level.reserved, available: available(level), version: level.version };
}

/** What a reservation does to the ledger: nothing, (re)hold `qty` changing `reserved` by `delta`, or refuse. */
export type ReserveDecision = { kind: "noop" } | { kind: "extend" } | { kind: "hold"; delta: number } | { kind: "insufficient" };

export function decideReserve(level: Level, hold: Hold | null, qty: number): ReserveDecision {
  // Already sold (or sold and given back): the checkout is past reserving.
  if (hold?.status === "committed" || hold?.status === "returned") return { kind: "noop" };
  if (hold?.status === "closed") return { kind: "insufficient" };
  if (hold?.status === "held") {
    if (hold.qty === qty) return { kind: "extend" };
    const delta = qty - hold.qty;
    return delta <= available(level) ? { kind: "hold", delta } : { kind: "insufficient" };
  }
  return qty <= available(level) ? { kind: "hold", delta: qty } : { kind: "insufficient" };
}

/**
 * Committing sells exactly `qty`: a live hold covers what it holds and the rest must be free; a
 * lapsed or missing hold sells only free stock; a closed checkout sells nothing.
 */
export type CommitDecision =
  | { kind: "noop" }
  | { kind: "sell"; onHandDelta: number; reservedDelta: number; sold: number }
  | { kind: "insufficient" }
  | { kind: "closed" };

export function decideCommit(level: Level, hold: Hold | null, qty: number): CommitDecision {
  if (hold?.status === "committed" || hold?.status === "returned") return { kind: "noop" };
  if (hold?.status === "closed") return { kind: "closed" };
  const held = hold?.status === "held" ? hold.qty : 0;
  // Units beyond the hold come from free stock; the whole hold is used up either way.
  if (qty - held > available(level)) return { kind: "insufficient" };
  return { kind: "sell", onHandDelta: -qty, reservedDelta: held > 0 ? -held : 0, sold: qty };
}

/**
 * Closing a checkout for good: a live hold is freed, sold units come back on hand, and the hold
 * row stays as a tombstone so a late reserve or commit for the checkout is refused.
 */
export function decideClose(hold: Hold | null): { onHandDelta: number; reservedDelta: number } | null {
  if (hold?.status === "closed" || hold?.status === "returned") return null;
  if (hold?.status === "held") return { onHandDelta: 0, reservedDelta: -hold.qty };
  if (hold?.status === "committed") return { onHandDelta: hold.qty, reservedDelta: 0 };
  return { onHandDelta: 0, reservedDelta: 0 };
}

/**
 * A return of `qty` units a checkout bought: they come back on hand, and the sale shrinks by as
 * many, so a later restock or close of the checkout gives back only the rest. Never more than the
 * sale still holds; null when the checkout sold nothing here (or everything already came back).
 */
export function decideReturnUnits(hold: Hold | null, qty: number): { back: number; soldLeft: number } | null {
  if (hold?.status !== "committed") return null;
  const back = Math.min(qty, hold.qty);
  return back > 0 ? { back, soldLeft: hold.qty - back } : null;
}

/** An admin change may never leave fewer units on hand than are promised to shoppers. */
export function allowedOnHand(level: Level, onHand: number): boolean {
  return onHand >= level.reserved && onHand >= 0;
}
