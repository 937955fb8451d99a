import type { WorkLine } from "./discounts";
import { sumExact } from "./int-math";
import { isWithinWindow } from "./price-lists";
import { parseDiscountRules, type DiscountRules } from "./schemas";
import type { DiscountInput, RejectedCode, RejectionReason } from "./types";

/** A discount in play: automatic, or matched by a code the shopper entered (kept as entered). */
export type Candidate = { discount: DiscountInput; enteredCode: string | null };

/** Codes compare trimmed and case-insensitively ("summer10" finds "SUMMER10"). */
export function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}

/** Automatic discounts plus those matched by entered codes; codes matching nothing are "unknown". */
export function collectCandidates(discounts: readonly DiscountInput[], codes: readonly string[]) {
  const byId = new Map<string, Candidate>();
  for (const discount of discounts) {
    if (discount.isAutomatic) byId.set(discount.id, { discount, enteredCode: null });
  }
  const rejected: RejectedCode[] = [];
  const seen = new Set<string>();
  for (const code of codes) {
    const key = normalizeCode(code);
    if (key === "" || seen.has(key)) continue;
    seen.add(key);
    const discount = discounts.find((d) => d.code !== null && normalizeCode(d.code) === key);
    if (!discount) rejected.push({ code, reason: "unknown" });
    else byId.set(discount.id, { discount, enteredCode: code });
  }
  return { candidates: [...byId.values()], rejected };
}

/** Higher priority first, then smaller id: the order stacking walks in. */
export function byPriority(a: Candidate, b: Candidate): number {
  const pa = a.discount.priority;
  const pb = b.discount.priority;
  if (pa !== pb) return pb - pa;
  return a.discount.id < b.discount.id ? -1 : a.discount.id > b.discount.id ? 1 : 0;
}

/** True when the line is one of the discount's targets (any of them); no targets = every line. */
export function matchesTargets(rules: DiscountRules, line: WorkLine): boolean {
  const { productIds = [], categoryIds = [], collectionIds = [] } = rules;
  if (productIds.length === 0 && categoryIds.length === 0 && collectionIds.length === 0) return true;
  return (
    productIds.includes(line.productId) ||
    line.categoryIds.some((id) => categoryIds.includes(id)) ||
    line.collectionIds.some((id) => collectionIds.includes(id))
  );
}

function limitReason(d: DiscountInput, now: number): RejectionReason | null {
  if (d.startsAt !== null && now < d.startsAt) return "not_started";
  if (!isWithinWindow(d.startsAt, d.endsAt, now)) return "expired";
  if (d.usageLimit !== null && d.usageCount >= d.usageLimit) return "usage_limit_reached";
  if (d.perCustomerLimit !== null && d.customerUsageCount >= d.perCustomerLimit) return "customer_limit_reached";
  return null;
}

/** `value`: the discount's value in the cart's currency (rules.amounts for fixed kinds). */
export type Eligible = { ok: true; rules: DiscountRules; lineIndexes: number[]; value: number };
export type Ineligible = { ok: false; reason: RejectionReason };

const FIXED_KINDS = new Set(["fixed", "cart_fixed"]);

/**
 * The discount's value and minimum in `currency`, or null when it has none there: a discount
 * limited to another currency, or a fixed amount not given in this one.
 */
function moneyIn(d: DiscountInput, rules: DiscountRules, currency: string | undefined): { value: number; minSubtotal: number | undefined } | null {
  const minSubtotal = (currency !== undefined ? rules.minSubtotals?.[currency] : undefined) ?? rules.minSubtotal;
  if (currency === undefined) return { value: d.value, minSubtotal };
  const own = rules.currency === undefined || rules.currency === currency;
  if (FIXED_KINDS.has(d.kind) && rules.amounts) {
    const amount = rules.amounts[currency];
    if (amount !== undefined) return { value: amount, minSubtotal };
    return rules.currency === currency ? { value: d.value, minSubtotal } : null;
  }
  return own ? { value: d.value, minSubtotal } : null;
}

/**
 * Checks that do not depend on other discounts: window, usage limits, valid rules, the cart's
 * currency, customer group, matching lines, and the minimum subtotal of the matching lines
 * (before discounts).
 */
export function checkEligibility(
  d: DiscountInput,
  lines: readonly WorkLine[],
  customerGroupIds: readonly string[],
  now: number,
  currency?: string,
): Eligible | Ineligible {
  const limited = limitReason(d, now);
  if (limited) return { ok: false, reason: limited };
  const rules = parseDiscountRules(d.kind, d.rules);
  if (!rules) return { ok: false, reason: "not_applicable" };
  const money = moneyIn(d, rules, currency);
  if (!money) return { ok: false, reason: "not_applicable" };
  const groups = rules.customerGroupIds ?? [];
  if (groups.length > 0 && !groups.some((g) => customerGroupIds.includes(g))) {
    return { ok: false, reason: "not_applicable" };
  }
  const lineIndexes = lines.flatMap((line, i) => (matchesTargets(rules, line) && line.subtotal > 0 ? [i] : []));
  if (lineIndexes.length === 0) return { ok: false, reason: "not_applicable" };
  const matched = sumExact(lineIndexes.map((i) => lines[i]!.subtotal));
  if (money.minSubtotal !== undefined && matched < money.minSubtotal) return { ok: false, reason: "minimum_not_met" };
  return { ok: true, rules, lineIndexes, value: money.value };
}
