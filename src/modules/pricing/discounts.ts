import { allocateLargestRemainder } from "./allocation";
import { mulDivHalfUp, mulExact, sumExact } from "./int-math";
import type { BuyXGetYRules, DiscountKind, DiscountRules, DiscountTier } from "./schemas";
import type { PricingLine, RejectionReason } from "./types";

const BPS = 10_000;

/** A line while it is being priced: `remaining` is its subtotal minus discounts applied so far. */
export type WorkLine = PricingLine & {
  unitPrice: number;
  listUnitPrice: number;
  priceListId: string | null;
  subtotal: number;
  remaining: number;
};

/** Per-line amounts aligned with the eligible lines given, or why the discount does not apply. */
export type Computation = { amounts: number[] } | { reason: RejectionReason };

// Product-level percentage: rounded half-up at each line, on what is left of the line, so
// stacked percentages compound and never exceed the line.
function percentOfLines(lines: readonly WorkLine[], bps: number): number[] {
  return lines.map((line) => Math.min(line.remaining, mulDivHalfUp(line.remaining, bps, BPS)));
}

// Product-level fixed: `value` off each unit, capped at what is left of the line.
function fixedPerUnit(lines: readonly WorkLine[], value: number): number[] {
  return lines.map((line) => {
    const off = BigInt(value) * BigInt(line.quantity);
    return off < BigInt(line.remaining) ? Number(off) : line.remaining;
  });
}

// Buy X get Y: of all matching units, the cheapest (applications × Y) are the "get" units.
function buyXGetY(lines: readonly WorkLine[], rules: BuyXGetYRules): Computation {
  const units = sumExact(lines.map((l) => l.quantity));
  let applications = Math.floor(units / (rules.buyQuantity + rules.getQuantity));
  if (rules.maxApplications !== undefined) applications = Math.min(applications, rules.maxApplications);
  if (applications === 0) return { reason: "minimum_not_met" };
  let left = applications * rules.getQuantity;
  const amounts = lines.map(() => 0);
  const cheapestFirst = lines
    .map((line, i) => ({ line, i }))
    .sort((a, b) => a.line.unitPrice - b.line.unitPrice || (a.line.lineId < b.line.lineId ? -1 : 1));
  for (const { line, i } of cheapestFirst) {
    if (left === 0) break;
    const take = Math.min(left, line.quantity);
    left -= take;
    const off = mulDivHalfUp(mulExact(line.unitPrice, take), rules.getPercentBps, BPS);
    amounts[i] = Math.min(off, line.remaining);
  }
  return { amounts };
}

/** The best tier reached: spend counts matching subtotals, quantity counts matching units. */
export function reachedTier(lines: readonly WorkLine[], tiers: readonly DiscountTier[]): DiscountTier | null {
  const spend = sumExact(lines.map((l) => l.subtotal));
  const quantity = sumExact(lines.map((l) => l.quantity));
  let best: DiscountTier | null = null;
  for (const tier of tiers) {
    const measure = tier.thresholdType === "spend" ? spend : quantity;
    if (measure < tier.threshold) continue;
    if (best === null || tier.valueBps > best.valueBps) best = tier;
  }
  return best;
}

// Cart-level: one amount for the matching lines together, split by largest remainder in
// proportion to what is left of each line, so the shares sum exactly to the amount.
function cartLevel(lines: readonly WorkLine[], amount: number): number[] {
  return allocateLargestRemainder(
    amount,
    lines.map((l) => l.remaining),
  );
}

/** Computes a discount over its eligible lines given what is left of each. */
export function computeDiscount(
  kind: DiscountKind,
  value: number,
  rules: DiscountRules,
  lines: readonly WorkLine[],
): Computation {
  const remaining = sumExact(lines.map((l) => l.remaining));
  switch (kind) {
    case "percentage":
      return { amounts: percentOfLines(lines, value) };
    case "fixed":
      return { amounts: fixedPerUnit(lines, value) };
    case "buy_x_get_y":
      return buyXGetY(lines, rules as BuyXGetYRules);
    case "tiered": {
      const tier = reachedTier(lines, rules.tiers ?? []);
      return tier ? { amounts: percentOfLines(lines, tier.valueBps) } : { reason: "minimum_not_met" };
    }
    case "cart_percentage":
      return { amounts: cartLevel(lines, Math.min(remaining, mulDivHalfUp(remaining, value, BPS))) };
    case "cart_fixed":
      return { amounts: cartLevel(lines, Math.min(remaining, value)) };
  }
}
