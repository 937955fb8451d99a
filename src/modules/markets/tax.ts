/**
 * Tax by place. A TaxProvider answers the rate of each tax category at a place; the default is
 * the tax_rates table (already in memory with the market configuration), so pricing a cart never
 * makes a network call. An external provider (Avalara, TaxJar, Stripe Tax) would implement the
 * same interface; it should then be asked at checkout only, with the table's answer standing in
 * on the add-to-cart path.
 */
import type { TaxRateRow } from "./repo";

export type TaxPlace = { countryCode: string; provinceCode: string | null };

export interface TaxProvider {
  readonly name: string;
  /** The rate (bps) of each category at the place; a category the place has no rate for is absent. */
  rates(place: TaxPlace, categories: readonly string[]): Promise<Map<string, number>>;
}

/** The category whose rate taxes shipping charges at a place (absent: shipping is not taxed there). */
export const SHIPPING_TAX_CATEGORY = "shipping";

/** The rate of one category at a place: the province's row wins over the whole country's. */
export function tableRate(rows: readonly TaxRateRow[], place: TaxPlace, category: string): number | null {
  const province = place.provinceCode?.toUpperCase() ?? "";
  let countryWide: number | null = null;
  for (const row of rows) {
    if (row.countryCode !== place.countryCode || row.taxCategory !== category) continue;
    if (province !== "" && row.provinceCode === province) return row.rateBps;
    if (row.provinceCode === "") countryWide = row.rateBps;
  }
  return countryWide;
}

/** The tax_rates table as a provider. */
export function tableTaxProvider(rows: readonly TaxRateRow[]): TaxProvider {
  return {
    name: "table",
    async rates(place, categories) {
      const out = new Map<string, number>();
      for (const category of new Set(categories)) {
        const rate = tableRate(rows, place, category);
        if (rate !== null) out.set(category, rate);
      }
      return out;
    },
  };
}

/**
 * The rate of each line: its category's rate at the place, else the product's own rate
 * (products.tax_rate_bps: what the shop charged before it knew places, and still where the table
 * has nothing for the place). No place (a region without countries, no address): the product's own.
 */
export async function lineRates(
  provider: TaxProvider,
  place: TaxPlace | null,
  lines: readonly { lineId: string; taxCategory: string; fallbackRateBps: number }[],
): Promise<{ byLine: Map<string, number>; shippingRateBps: number }> {
  const rates = place ? await provider.rates(place, [...lines.map((l) => l.taxCategory), SHIPPING_TAX_CATEGORY]) : new Map<string, number>();
  return {
    byLine: new Map(lines.map((l) => [l.lineId, rates.get(l.taxCategory) ?? l.fallbackRateBps])),
    shippingRateBps: rates.get(SHIPPING_TAX_CATEGORY) ?? 0,
  };
}
