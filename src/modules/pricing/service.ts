/**
 * The one pricing path of the shop: the cart answer, the checkout snapshot and so the order are
 * all priced here, by the pure engine over rows loaded in one batch.
 */
import { getConfig } from "../../env";
import { priceCart } from "./engine";
import { categoryAncestry, toDiscountInputs, toPriceListInputs } from "./inputs";
import { loadPricingRows } from "./repo";
import type { PricedCart, PricingLine } from "./types";

/** A cart line as stored: the variant's catalog price and its product's tax rate and category. */
export type CartPricingLine = {
  lineId: string;
  variantId: string;
  productId: string;
  categoryId: string | null;
  quantity: number;
  basePrice: number;
  taxRateBps: number;
};

const unique = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null))];

/** Prices lines for a customer: group price lists, automatic discounts, entered codes, usage counts, tax. */
export async function priceCartForCustomer(
  env: Env,
  customerId: string,
  lines: CartPricingLine[],
  codes: string[],
  now = Date.now(),
  currency = "USD",
): Promise<PricedCart> {
  const rows = await loadPricingRows(env.DB, {
    customerId,
    variantIds: unique(lines.map((l) => l.variantId)),
    productIds: unique(lines.map((l) => l.productId)),
    categoryIds: unique(lines.map((l) => l.categoryId)),
    codes: unique(codes.map((c) => c.trim().toUpperCase())),
  });
  const engineLines: PricingLine[] = lines.map((l) => ({
    lineId: l.lineId,
    variantId: l.variantId,
    productId: l.productId,
    categoryIds: categoryAncestry(l.categoryId, rows.categoryParents),
    collectionIds: rows.collectionsByProduct.get(l.productId) ?? [],
    quantity: l.quantity,
    basePrice: l.basePrice,
    taxRateBps: l.taxRateBps,
  }));
  return priceCart({
    lines: engineLines,
    currency,
    customer: { id: customerId, groupIds: rows.customerGroupId ? [rows.customerGroupId] : [] },
    priceLists: toPriceListInputs(rows.priceLists, rows.priceListGroups, rows.prices),
    discounts: toDiscountInputs(rows.discounts, rows.redemptions),
    codes,
    taxInclusive: getConfig(env).PRICES_INCLUDE_TAX,
    now,
  });
}
