import { computeDiscount, type WorkLine } from "./discounts";
import { byPriority, checkEligibility, collectCandidates, normalizeCode, type Candidate } from "./eligibility";
import { assertAmount, mulExact, sumExact } from "./int-math";
import { applicablePriceLists, resolveUnitPrice } from "./price-lists";
import { lineTax, lineTotal, shippingCharge } from "./tax";
import type { AppliedDiscount, PricedCart, PricedLine, PricedShipping, PricingInput, RejectedCode, ShippingInput } from "./types";

function assertInput(input: PricingInput): void {
  for (const line of input.lines) {
    assertAmount(line.basePrice, `basePrice of ${line.lineId}`);
    assertAmount(line.taxRateBps, `taxRateBps of ${line.lineId}`);
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) {
      throw new RangeError(`quantity of ${line.lineId} must be a positive integer`);
    }
  }
  for (const list of input.priceLists) {
    for (const amount of Object.values(list.prices)) assertAmount(amount, `price in list ${list.id}`);
  }
  for (const d of input.discounts) assertAmount(d.value, `value of discount ${d.id}`);
  if (input.shipping) {
    assertAmount(input.shipping.amount, "shipping amount");
    assertAmount(input.shipping.taxRateBps, "shipping tax rate");
    if (input.shipping.freeOver !== null) assertAmount(input.shipping.freeOver, "shipping freeOver");
  }
}

// Shipping is priced after the goods: its threshold looks at what they cost after discounts, and
// its tax is rounded half-up on its own, like one more line.
function priceShipping(shipping: ShippingInput, goods: number, taxInclusive: boolean): PricedShipping {
  const amount = shippingCharge(shipping.amount, shipping.freeOver, goods);
  return { amount, tax: lineTax(amount, shipping.taxRateBps, taxInclusive) };
}

function toWorkLines(input: PricingInput): WorkLine[] {
  const lists = applicablePriceLists(input.priceLists, input.customer.groupIds, input.now, input.currency);
  return input.lines.map((line) => {
    const { unitPrice, priceListId } = resolveUnitPrice(line.variantId, line.basePrice, lists);
    const subtotal = mulExact(unitPrice, line.quantity);
    return { ...line, unitPrice, listUnitPrice: line.basePrice, priceListId, subtotal, remaining: subtotal };
  });
}

// `exclusive`: a non-stackable discount has applied, so nothing else may.
type Outcome = { applied: AppliedDiscount[]; rejected: RejectedCode[]; exclusive: boolean };

// One candidate in stacking order. Non-stackable discounts exclude all others: one applies only
// as the first discount, and once it applies nothing follows.
function tryApply(c: Candidate, lines: WorkLine[], input: PricingInput, out: Outcome): void {
  const reject = (reason: RejectedCode["reason"]) => {
    if (c.enteredCode !== null) out.rejected.push({ code: c.enteredCode, reason });
  };
  const d = c.discount;
  const eligibility = checkEligibility(d, lines, input.customer.groupIds, input.now, input.currency);
  if (!eligibility.ok) return reject(eligibility.reason);
  const blocked = out.exclusive || (out.applied.length > 0 && !d.stackable);
  if (blocked) return reject("not_stackable");
  const eligible = eligibility.lineIndexes.map((i) => lines[i]!);
  const result = computeDiscount(d.kind, eligibility.value, eligibility.rules, eligible);
  if ("reason" in result) return reject(result.reason);
  const amount = sumExact(result.amounts);
  // Nothing left to take off (earlier discounts already took it all): not worth recording.
  if (amount === 0) return reject("not_applicable");
  const allocations = eligible.map((line, k) => ({ lineId: line.lineId, amount: result.amounts[k]! }));
  eligible.forEach((line, k) => (line.remaining -= result.amounts[k]!));
  out.applied.push({
    discountId: d.id,
    code: d.code,
    title: d.title ?? null,
    kind: d.kind,
    amount,
    allocations: allocations.filter((a) => a.amount > 0),
  });
  out.exclusive = !d.stackable;
}

function applyDiscounts(lines: WorkLine[], input: PricingInput): Outcome {
  const { candidates, rejected } = collectCandidates(input.discounts, input.codes);
  const out: Outcome = { applied: [], rejected, exclusive: false };
  for (const candidate of [...candidates].sort(byPriority)) tryApply(candidate, lines, input, out);
  return out;
}

function finishLine(line: WorkLine, taxInclusive: boolean): PricedLine {
  const discount = line.subtotal - line.remaining;
  const tax = lineTax(line.remaining, line.taxRateBps, taxInclusive);
  return {
    lineId: line.lineId,
    unitPrice: line.unitPrice,
    listUnitPrice: line.listUnitPrice,
    priceListId: line.priceListId,
    subtotal: line.subtotal,
    discount,
    tax,
    total: lineTotal(line.remaining, tax, taxInclusive),
  };
}

/**
 * Prices a cart: price lists, then discounts in stacking order, then tax per line, then shipping
 * (free over its threshold, taxed at its own rate). Pure and deterministic; every amount in the
 * answer is an integer of minor units.
 */
export function priceCart(input: PricingInput): PricedCart {
  assertInput(input);
  const work = toWorkLines(input);
  const { applied, rejected } = applyDiscounts(work, input);
  const lines = work.map((line) => finishLine(line, input.taxInclusive));
  const sum = (pick: (l: PricedLine) => number) => sumExact(lines.map(pick));
  const subtotal = sum((l) => l.subtotal);
  const discount = sum((l) => l.discount);
  const shipping = input.shipping ? priceShipping(input.shipping, subtotal - discount, input.taxInclusive) : null;
  const shippingAmount = shipping?.amount ?? 0;
  const shippingTax = shipping?.tax ?? 0;
  return {
    currency: input.currency,
    taxInclusive: input.taxInclusive,
    lines,
    totals: {
      subtotal,
      discount,
      shipping: shippingAmount,
      tax: sumExact([sum((l) => l.tax), shippingTax]),
      total: sumExact([sum((l) => l.total), lineTotal(shippingAmount, shippingTax, input.taxInclusive)]),
    },
    shipping,
    appliedDiscounts: applied,
    rejectedCodes: rejected,
  };
}

/** Why an entered code did not apply to a priced cart, or null when it applied (the 422 reason). */
export function rejectionFor(priced: PricedCart, code: string): RejectedCode["reason"] | null {
  const key = normalizeCode(code);
  return priced.rejectedCodes.find((r) => normalizeCode(r.code) === key)?.reason ?? null;
}
