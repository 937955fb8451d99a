/**
 * A cart priced by the pricing engine, and the shapes it takes in answers. The checkout stores
 * these lines and discounts as its snapshot, and the order copies them, so all three agree.
 */
import { money } from "../../lib/money";
import type { Component } from "../bundles/schemas";
import { cartMarketOf, shippingInputOf, type CartMarket } from "../markets/cart";
import { defaultMarket, type Market } from "../markets/context";
import { priceWithRows } from "../pricing/service";
import type { AppliedDiscount, PricedShipping, RejectedCode, Totals } from "../pricing/types";
import * as repo from "./repo";

/** One priced line; `lineTotal` is subtotal − discount, `total` adds tax when prices exclude it. */
export type PricedCartLine = {
  itemId: string;
  variantId: string;
  productId: string;
  sku: string;
  title: string;
  quantity: number;
  unitPrice: number;
  listUnitPrice: number;
  subtotal: number;
  discount: number;
  tax: number;
  lineTotal: number;
  total: number;
  /** For a bundle line: the components of one unit (reserved × quantity). */
  components: Component[] | null;
  /** How many objects hold the variant's stock when the line was priced (routes its hold; see inventory/service). */
  stockShards?: number;
};
export type { Totals };

function componentsOf(json: string | null): Component[] | null {
  if (!json) return null;
  const parsed = JSON.parse(json) as unknown;
  return Array.isArray(parsed) && parsed.length > 0 ? (parsed as Component[]) : null;
}

export type CartPricing = {
  id: string;
  currency: string;
  codes: string[];
  /** `priced`: the variant has a price in the cart's currency (a line without one cannot be bought). */
  lines: (PricedCartLine & { purchasable: boolean; priced: boolean })[];
  totals: Totals;
  applied: AppliedDiscount[];
  rejected: RejectedCode[];
  /** Region, address, tax place and shipping of the cart (markets). */
  market: CartMarket;
  shipping: PricedShipping | null;
};

/**
 * Prices a cart loaded with its lines and pricing inputs in one batch (repo.loadActiveCart) for
 * the customer with today's prices and discounts, in the cart's region: its currency and tax mode,
 * the tax rates of its place, its shipping method. No D1 call.
 */
export async function priceLoadedCart(env: Env, customerId: string, loaded: repo.LoadedCart, extraCodes: string[] = [], now = Date.now(), market?: Market): Promise<CartPricing> {
  const { cart, lines: rows, pricing } = loaded;
  const codes = [...repo.codesOf(cart), ...extraCodes];
  const cm = await cartMarketOf(env, market ?? (await defaultMarket(env)), cart, rows.map((r) => ({
    lineId: r.item_id,
    quantity: r.quantity,
    taxCategory: r.tax_category,
    taxRateBps: r.tax_rate_bps,
    weightGrams: r.weight_grams,
    requiresShipping: r.requires_shipping === 1,
  })));
  const input = rows.map((r) => ({
    lineId: r.item_id,
    variantId: r.variant_id,
    productId: r.product_id,
    categoryId: r.category_id,
    quantity: r.quantity,
    basePrice: r.price ?? 0,
    taxRateBps: cm.rates.get(r.item_id) ?? r.tax_rate_bps,
    components: componentsOf(r.bundle_selection),
  }));
  const context = { currency: cart.currency, taxInclusive: cm.region.taxInclusive, shipping: shippingInputOf(cm) };
  const priced = priceWithRows(customerId, input, codes, pricing, now, context);
  const lines = rows.map((r, i) => {
    const p = priced.lines[i]!;
    return {
      itemId: r.item_id,
      variantId: r.variant_id,
      productId: r.product_id,
      sku: r.sku,
      title: r.title,
      quantity: r.quantity,
      unitPrice: p.unitPrice,
      listUnitPrice: p.listUnitPrice,
      subtotal: p.subtotal,
      discount: p.discount,
      tax: p.tax,
      lineTotal: p.subtotal - p.discount,
      total: p.total,
      components: input[i]!.components,
      stockShards: r.stock_shards,
      purchasable: r.purchasable === 1 && r.price !== null,
      priced: r.price !== null,
    };
  });
  const { totals, appliedDiscounts: applied, rejectedCodes: rejected, shipping } = priced;
  return { id: cart.id, currency: cart.currency, codes, lines, totals, applied, rejected, market: cm, shipping };
}

export function toCartItem(line: PricedCartLine, currency: string) {
  return {
    id: line.itemId,
    variantId: line.variantId,
    sku: line.sku,
    title: line.title,
    quantity: line.quantity,
    unitPrice: money(line.unitPrice, currency),
    lineTotal: money(line.lineTotal, currency),
    discount: money(line.discount, currency),
    tax: money(line.tax, currency),
    total: money(line.total, currency),
    bundleSelection: line.components ?? null,
  };
}

/** Totals as answers show them; a snapshot from before shipping existed reads as shipping 0. */
export function toTotals(totals: Omit<Totals, "shipping"> & { shipping?: number }, currency: string) {
  return {
    subtotal: money(totals.subtotal, currency),
    discount: money(totals.discount, currency),
    shipping: money(totals.shipping ?? 0, currency),
    tax: money(totals.tax, currency),
    total: money(totals.total, currency),
  };
}

/** Totals with what gift cards and store credit pay, and the amount left for the payment provider. */
export function toPayableTotals(totals: Totals, tenders: readonly { kind: string; amount: number }[], currency: string) {
  const giftCard = tenders.filter((t) => t.kind === "gift_card").reduce((sum, t) => sum + t.amount, 0);
  const storeCredit = tenders.filter((t) => t.kind === "store_credit").reduce((sum, t) => sum + t.amount, 0);
  return {
    ...toTotals(totals, currency),
    giftCard: money(giftCard, currency),
    storeCredit: money(storeCredit, currency),
    amountDue: money(Math.max(0, totals.total - giftCard - storeCredit), currency),
  };
}

/** Applied discounts as answers show them: entered codes, and automatic ones by title. */
export function toDiscountViews(applied: AppliedDiscount[], currency: string) {
  return {
    discounts: applied.filter((d) => d.code !== null).map((d) => ({ code: d.code!, amount: money(d.amount, currency) })),
    automaticDiscounts: applied.filter((d) => d.code === null).map((d) => ({ title: d.title ?? "", amount: money(d.amount, currency) })),
  };
}
