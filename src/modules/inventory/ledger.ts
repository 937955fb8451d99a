/**
 * Pure decisions of the stock ledger InventoryDO keeps for one variant. The object reads its rows,
 * asks these functions what to do, and writes the outcome in the same synchronous step.
 */
export type Level = { onHand: number; reserved: number; version: number };
export type HoldStatus = "held" | "committed" | "released" | "returned";
export type Hold = { qty: number; status: HoldStatus };

export type LevelView = { variantId: string; onHand: number; reserved: number; available: number; version: number };

export type ReserveResult =
  | { ok: true; level: LevelView }
  | { ok: false; code: "INSUFFICIENT_INVENTORY"; available: number; level: LevelView };
export type CommitResult = { ok: true; level: LevelView } | { ok: false; code: "NO_RESERVATION" | "INSUFFICIENT_INVENTORY"; level: LevelView };
export type ChangeResult = { ok: true; level: LevelView } | { ok: false; code: "BELOW_RESERVED"; level: LevelView };

export const available = (level: Level) => Math.max(0, level.onHand - level.reserved);

export function view(variantId: string, level: Level): LevelView {
  return { variantId, onHand: level.onHand, reserved: level.reserved, available: available(level), version: level.version };
}

/** A hold that exists (held or already sold) answers as before; a released one may be taken again. */
export function decideReserve(level: Level, hold: Hold | null, qty: number): "noop" | "take" | "insufficient" {
  if (hold && (hold.status === "held" || hold.status === "committed" || hold.status === "returned")) return "noop";
  return available(level) >= qty ? "take" : "insufficient";
}

/** Committing a held unit sells it; a lapsed hold is sold only if the stock is still free. */
export function decideCommit(level: Level, hold: Hold | null, qty: number | null): "noop" | "sell-held" | "sell-free" | "missing" | "insufficient" {
  if (hold?.status === "committed" || hold?.status === "returned") return "noop";
  if (hold?.status === "held") return "sell-held";
  const wanted = qty ?? hold?.qty;
  if (wanted == null) return "missing";
  return available(level) >= wanted ? "sell-free" : "insufficient";
}

/** An admin change may never leave fewer units on hand than are promised to shoppers. */
export function allowedOnHand(level: Level, onHand: number): boolean {
  return onHand >= level.reserved && onHand >= 0;
}
