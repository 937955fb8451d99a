/**
 * Shipping methods for a cart: which of its region's methods fit the cart's address and contents,
 * and what each charges before the free-over threshold (which the pricing engine applies to the
 * goods after discounts).
 */
import type { AdminRegion, ShippingMethod } from "./schemas";

export type Contents = { ships: boolean; weightGrams: number };

/** The method's charge for this weight, or null when the cart is heavier than its table allows. */
export function baseCharge(method: ShippingMethod, weightGrams: number): number | null {
  if (method.kind === "flat") return method.amount;
  const row = method.weightRates.find((r) => weightGrams <= r.maxGrams);
  return row ? row.amount : null;
}

/** Whether the method may ship this cart: active, of the cart's region, to the address's country. */
export function methodFits(method: ShippingMethod, region: AdminRegion, countryCode: string | null): boolean {
  if (method.status !== "active" || method.regionCode !== region.code) return false;
  if (countryCode === null) return true;
  if (region.countries.length > 0 && !region.countries.includes(countryCode)) return false;
  return method.countries.length === 0 || method.countries.includes(countryCode);
}

export type Quote = { method: ShippingMethod; amount: number };

/** The methods that can ship these contents in the region to the country (null: not known yet), with their charges. */
export function quotesFor(methods: readonly ShippingMethod[], region: AdminRegion, countryCode: string | null, contents: Contents): Quote[] {
  if (!contents.ships) return [];
  return methods.flatMap((method) => {
    if (!methodFits(method, region, countryCode)) return [];
    const amount = baseCharge(method, contents.weightGrams);
    return amount === null ? [] : [{ method, amount }];
  });
}
