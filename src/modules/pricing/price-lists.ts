import type { PriceListInput } from "./types";

export type ResolvedPrice = { unitPrice: number; priceListId: string | null };

/** True when `now` lies in [startsAt, endsAt); a null bound is open. */
export function isWithinWindow(startsAt: number | null, endsAt: number | null, now: number): boolean {
  return (startsAt === null || startsAt <= now) && (endsAt === null || now < endsAt);
}

/** The price lists that apply to this shopper now: in window, currency and (if any) group. */
export function applicablePriceLists(
  lists: readonly PriceListInput[],
  groupIds: readonly string[],
  now: number,
  currency: string,
): PriceListInput[] {
  return lists.filter(
    (list) =>
      isWithinWindow(list.startsAt, list.endsAt, now) &&
      (list.currency === undefined || list.currency === currency) &&
      (list.groupIds.length === 0 || list.groupIds.some((g) => groupIds.includes(g))),
  );
}

type Candidate = { id: string; priority: number; amount: number };

// Lowest price first; on a tie the higher priority, then the smaller id, so the answer never
// depends on the order the lists were loaded in.
function better(a: Candidate, b: Candidate): boolean {
  if (a.amount !== b.amount) return a.amount < b.amount;
  if (a.priority !== b.priority) return a.priority > b.priority;
  return a.id < b.id;
}

/**
 * The unit price of a variant: the best price among the applicable lists that price it, which
 * overrides the catalog price (even when higher); the catalog price when no list prices it.
 */
export function resolveUnitPrice(
  variantId: string,
  basePrice: number,
  lists: readonly PriceListInput[],
): ResolvedPrice {
  let best: Candidate | null = null;
  for (const list of lists) {
    if (!Object.hasOwn(list.prices, variantId)) continue;
    const candidate = { id: list.id, priority: list.priority, amount: list.prices[variantId]! };
    if (best === null || better(candidate, best)) best = candidate;
  }
  return best ? { unitPrice: best.amount, priceListId: best.id } : { unitPrice: basePrice, priceListId: null };
}
