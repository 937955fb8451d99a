/**
 * What the market means for one cart: the region it prices in, where it ships (and so where it is
 * taxed), the tax rate of each line, the shipping methods that fit it and the one chosen. Cart
 * pricing, the shipping routes and checkout all ask here, so they agree.
 */
import { AppError, type Issue } from "../../lib/errors";
import { money } from "../../lib/money";
import type { ShippingInput } from "../pricing/types";
import { regionByCode, type Market } from "./context";
import type { Address, AdminRegion, ChosenShipping } from "./schemas";
import { quotesFor, type Quote } from "./shipping";
import { lineRates, tableTaxProvider, type TaxPlace, type TaxProvider } from "./tax";

/** The market columns of a stored cart. */
export type CartMarketRow = { region_code: string | null; currency: string; shipping_address: string | null; shipping_method_id: string | null };

/** What the market needs of a cart line. */
export type MarketLine = { lineId: string; quantity: number; taxCategory: string; taxRateBps: number; weightGrams: number; requiresShipping: boolean };

export type CartMarket = {
  region: AdminRegion;
  address: Address | null;
  /** Where tax is owed: the shipping address, else the region's first country (null: neither). */
  place: TaxPlace | null;
  ships: boolean;
  weightGrams: number;
  rates: Map<string, number>;
  shippingRateBps: number;
  quotes: Quote[];
  /** The stored method, while it still fits the cart. */
  chosen: Quote | null;
};

export function addressOf(json: string | null): Address | null {
  if (!json) return null;
  try {
    return JSON.parse(json) as Address;
  } catch {
    return null;
  }
}

/** The region a stored cart prices in: its own, else (made before regions existed) the request's. */
export function regionOfCart(env: Env, market: Market, cart: CartMarketRow): AdminRegion {
  return regionByCode(env, market.config, cart.region_code) ?? market.region;
}

/**
 * Where the cart must move before it is priced, or null: to the region the request names, or —
 * when its own region is gone or changed currency — to the request's region.
 */
export function regionMove(env: Env, market: Market, cart: CartMarketRow): AdminRegion | null {
  if (market.explicit) return market.region.code === cart.region_code && market.region.currency === cart.currency ? null : market.region;
  const own = regionByCode(env, market.config, cart.region_code);
  if (!own) return market.region;
  return own.currency === cart.currency ? null : own;
}

function placeOf(region: AdminRegion, address: Address | null): TaxPlace | null {
  if (address) return { countryCode: address.countryCode, provinceCode: address.province };
  return region.countries[0] ? { countryCode: region.countries[0], provinceCode: null } : null;
}

/** The tax provider of the market: the rates table (in memory, never a network call). */
export const taxProviderOf = (market: Market): TaxProvider => tableTaxProvider(market.config.taxRates);

/** Region, place, line tax rates and shipping of a cart with these lines. */
export async function cartMarketOf(env: Env, market: Market, cart: CartMarketRow, lines: readonly MarketLine[]): Promise<CartMarket> {
  const region = regionOfCart(env, market, cart);
  const address = addressOf(cart.shipping_address);
  const place = placeOf(region, address);
  const { byLine, shippingRateBps } = await lineRates(
    taxProviderOf(market),
    place,
    lines.map((l) => ({ lineId: l.lineId, taxCategory: l.taxCategory, fallbackRateBps: l.taxRateBps })),
  );
  const shipped = lines.filter((l) => l.requiresShipping);
  const contents = { ships: shipped.length > 0, weightGrams: shipped.reduce((sum, l) => sum + l.weightGrams * l.quantity, 0) };
  const quotes = quotesFor(market.config.shippingMethods, region, address?.countryCode ?? null, contents);
  const chosen = quotes.find((q) => q.method.id === cart.shipping_method_id) ?? null;
  return { region, address, place, ships: contents.ships, weightGrams: contents.weightGrams, rates: byLine, shippingRateBps, quotes, chosen };
}

/** The engine's shipping input: the chosen method's charge, taxed at the place's shipping rate. */
export function shippingInputOf(cm: CartMarket): ShippingInput | null {
  return cm.chosen ? { amount: cm.chosen.amount, taxRateBps: cm.shippingRateBps, freeOver: cm.chosen.method.freeOver } : null;
}

/** The chosen method as answers show it, with what it charged this cart. */
export function chosenView(cm: CartMarket, charged: number): ChosenShipping | null {
  if (!cm.chosen) return null;
  const { method } = cm.chosen;
  return { id: method.id, name: method.name, amount: money(charged, cm.region.currency), estimatedDays: method.estimatedDays };
}

/** Why a cart cannot be checked out yet, or null: something ships but it has no address or no method that fits. */
export function shippingIssues(cm: CartMarket): Issue[] {
  if (!cm.ships) return [];
  if (!cm.address) return [{ path: "shippingAddress", message: "the cart has goods to ship: PUT /cart/shipping-address first" }];
  if (!cm.chosen) {
    const message = cm.quotes.length === 0 ? "no shipping method ships this cart to its address" : "choose a shipping method: PUT /cart/shipping-method";
    return [{ path: "shippingMethod", message }];
  }
  return [];
}

/**
 * Why a priced cart cannot be checked out in its market, or null: a line with no price in the
 * cart's currency, or goods to ship without an address and a method that fits (422).
 */
export function checkoutRefusal(priced: { lines: { sku: string; priced: boolean }[]; market: CartMarket; currency: string }): AppError | null {
  const unpriced = priced.lines.filter((l) => !l.priced).map((l) => ({ path: "cart", message: `${l.sku} has no price in ${priced.currency}; remove it` }));
  const issues = [...unpriced, ...shippingIssues(priced.market)];
  if (issues.length === 0) return null;
  return new AppError("VALIDATION_ERROR", issues.map((i) => i.message).join("; "), 422, { issues });
}

/** What a checkout keeps of the market, and the order after it. */
export type CheckoutMarket = {
  regionCode: string;
  locale: string;
  taxInclusive: boolean;
  shippingAddress: Address | null;
  shippingMethod: (ChosenShipping & { tax: number }) | null;
};

/** The market facts a checkout keeps (stored in checkouts.market, copied onto the order). */
export function checkoutMarketOf(market: Market, cm: CartMarket, priced: { amount: number; tax: number } | null): CheckoutMarket {
  const view = cm.ships && priced ? chosenView(cm, priced.amount) : null;
  return {
    regionCode: cm.region.code,
    locale: market.locale,
    taxInclusive: cm.region.taxInclusive,
    shippingAddress: cm.ships ? cm.address : null,
    shippingMethod: view ? { ...view, tax: priced!.tax } : null,
  };
}

/** A stored checkout's market facts (a checkout from before markets has none: the implicit region, no shipping). */
export function storedCheckoutMarket(json: string | null | undefined): CheckoutMarket {
  const parsed = json ? (JSON.parse(json) as Partial<CheckoutMarket>) : {};
  return {
    regionCode: parsed.regionCode ?? "default",
    locale: parsed.locale ?? "en",
    taxInclusive: parsed.taxInclusive ?? false,
    shippingAddress: parsed.shippingAddress ?? null,
    shippingMethod: parsed.shippingMethod ?? null,
  };
}

/** What checkout and order answers show of the market. */
export function marketView(m: CheckoutMarket) {
  const shippingMethod = m.shippingMethod ? { id: m.shippingMethod.id, name: m.shippingMethod.name, amount: m.shippingMethod.amount, estimatedDays: m.shippingMethod.estimatedDays } : null;
  return { region: m.regionCode, shippingAddress: m.shippingAddress, shippingMethod };
}
