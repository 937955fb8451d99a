/**
 * The one pricing path of the shop: the cart answer, the checkout snapshot and so the order are
 * all priced here, by the pure engine over rows loaded in one batch.
 */
import { getConfig } from "../../env";
import { priceBundle } from "./bundles";
import { priceCart } from "./engine";
import { applicablePriceLists, resolveUnitPrice } from "./price-lists";
import { categoryAncestry, toDiscountInputs, toPriceListInputs } from "./inputs";
import { loadPricingRows, type PricingRows } from "./repo";
import type { PriceListInput, PricedCart, PricingLine, ShippingInput } from "./types";

/**
 * Where a cart is priced: its region's currency and tax mode, and the chosen shipping charge.
 * Lines carry the tax rate of their place (markets resolves it); no currency is ever converted.
 */
export type PricingContext = { currency: string; taxInclusive: boolean; shipping?: ShippingInput | null };

/** A cart line as stored: the variant's catalog price and its product's tax rate and category. */
export type CartPricingLine = {
  lineId: string;
  variantId: string;
  productId: string;
  categoryId: string | null;
  quantity: number;
  /** A bundle's own price; 0 = the sum of its components. */
  basePrice: number;
  taxRateBps: number;
  /** For a bundle line: the components of one unit. */
  components?: { variantId: string; quantity: number }[] | null;
};

// A bundle enters the engine as one line priced by priceBundle: its set price, else the sum of its
// components at this customer's prices.
function bundlePrice(l: CartPricingLine, rows: PricingRows, lists: PriceListInput[]): number {
  return priceBundle({
    fixedPrice: l.basePrice > 0 ? l.basePrice : null,
    components: (l.components ?? []).map((c) => ({
      variantId: c.variantId,
      quantity: c.quantity,
      unitPrice: resolveUnitPrice(c.variantId, rows.variantPrices.get(c.variantId) ?? 0, lists).unitPrice,
    })),
  }).unitPrice;
}

const unique = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null))];

/** Prices lines for a customer: group price lists, automatic discounts, entered codes, usage counts, tax. */
export async function priceCartForCustomer(
  env: Env,
  customerId: string,
  lines: CartPricingLine[],
  codes: string[],
  now = Date.now(),
  context: PricingContext = { currency: "USD", taxInclusive: getConfig(env).PRICES_INCLUDE_TAX },
): Promise<PricedCart> {
  const componentIds = unique(lines.flatMap((l) => (l.components ?? []).map((c) => c.variantId)));
  const rows = await loadPricingRows(env.DB, {
    currency: context.currency,
    customerId,
    componentIds,
    variantIds: unique([...lines.map((l) => l.variantId), ...componentIds]),
    productIds: unique(lines.map((l) => l.productId)),
    categoryIds: unique(lines.map((l) => l.categoryId)),
    codes: unique(codes.map((c) => c.trim().toUpperCase())),
  });
  return priceWithRows(customerId, lines, codes, rows, now, context);
}

/**
 * Prices lines over pricing rows already loaded (e.g. in the batch that read the cart, see
 * pricingStatements): no I/O, so a cart read or write costs no extra round trip for its prices.
 */
export function priceWithRows(customerId: string, lines: CartPricingLine[], codes: string[], rows: PricingRows, now: number, context: PricingContext): PricedCart {
  const { currency } = context;
  const groupIds = rows.customerGroupId ? [rows.customerGroupId] : [];
  const priceLists = toPriceListInputs(rows.priceLists, rows.priceListGroups, rows.prices);
  const lists = applicablePriceLists(priceLists, groupIds, now, currency);
  const engineLines: PricingLine[] = lines.map((l) => ({
    lineId: l.lineId,
    variantId: l.variantId,
    productId: l.productId,
    categoryIds: categoryAncestry(l.categoryId, rows.categoryParents),
    collectionIds: rows.collectionsByProduct.get(l.productId) ?? [],
    quantity: l.quantity,
    basePrice: l.components?.length ? bundlePrice(l, rows, lists) : l.basePrice,
    taxRateBps: l.taxRateBps,
  }));
  return priceCart({
    lines: engineLines,
    currency,
    customer: { id: customerId, groupIds },
    priceLists,
    discounts: toDiscountInputs(rows.discounts, rows.redemptions),
    codes,
    taxInclusive: context.taxInclusive,
    now,
    shipping: context.shipping ?? null,
  });
}
