/**
 * The cart's shipping: where it goes (an address book entry or one written out, copied onto the
 * cart) and how (a method of the cart's region that fits its address and contents).
 */
import { AppError, notFound, validationError } from "../../lib/errors";
import { money } from "../../lib/money";
import * as addresses from "../addresses/repo";
import { priceLoadedCart } from "../cart/pricing";
import * as carts from "../cart/repo";
import { activeCart, answerLoaded, loadCart } from "../cart/service";
import type { Cart } from "../cart/schemas";
import { shippingCharge } from "../pricing/tax";
import { cartMarketOf, regionOfCart } from "./cart";
import { regionsOf, type Market } from "./context";
import type { Address, AdminRegion, ShippingAddressBody, ShippingOption } from "./schemas";

async function bookAddress(env: Env, customerId: string, addressId: string): Promise<Address> {
  const entry = await addresses.findAddress(env.DB, addressId, customerId);
  if (!entry) throw notFound("Address");
  return entry;
}

function writtenOut(a: NonNullable<ShippingAddressBody["address"]>): Address {
  return { id: null, firstName: a.firstName, lastName: a.lastName, line1: a.line1, line2: a.line2 ?? null, city: a.city, postalCode: a.postalCode, province: a.province ?? null, countryCode: a.countryCode, phone: a.phone ?? null };
}

const sellsTo = (region: AdminRegion, countryCode: string) => region.countries.length === 0 || region.countries.includes(countryCode);

function notSoldTo(region: AdminRegion, countryCode: string, body: ShippingAddressBody): AppError {
  return new AppError("VALIDATION_ERROR", `Region ${region.code} does not sell to ${countryCode}; shop in its region (X-Region) instead`, 422, {
    issues: [{ path: body.addressId ? "addressId" : "address.countryCode", message: `not one of region ${region.code}'s countries (${region.countries.join(", ")})` }],
  });
}

/**
 * Puts a copy of the address on the cart; 422 when the cart's region does not sell to its country.
 * An address written out costs one round trip: the write rides in the batch that loads the cart,
 * guarded in SQL by the same rule (the region the cart prices in once loadCart has moved it, if it
 * must move, sells to the country), so nothing has to be read first. An address book entry is
 * read first (two trips).
 */
export async function setShippingAddress(env: Env, customerId: string, body: ShippingAddressBody, market: Market, now = Date.now()): Promise<Cart> {
  if (body.addressId) return setBookAddress(env, customerId, body.addressId, body, market, now);
  const address = writtenOut(body.address!);
  const country = address.countryCode;
  // Where the cart will price: the request's region when it names one (the cart moves there),
  // else the cart's own region if it still exists, else the request's (regionMove, regionOfCart).
  const regions = regionsOf(env, market.config);
  const rule = market.explicit
    ? { known: [], fallback: market.region.code, accepting: sellsTo(market.region, country) ? [market.region.code] : [] }
    : { known: regions.map((r) => r.code), fallback: market.region.code, accepting: [...regions, market.region].filter((r) => sellsTo(r, country)).map((r) => r.code) };
  const { before, loaded } = await loadCart(env, customerId, now, market, { before: [carts.setActiveShippingAddressStatement(env.DB, customerId, address, now, rule)] });
  if (before[0]!.meta.changes === 0) throw notSoldTo(regionOfCart(env, market, loaded.cart), country, body);
  return answerLoaded(env, customerId, loaded, now, market);
}

/** An address book entry: read it (beside the cart), check the region, then write and re-read. */
async function setBookAddress(env: Env, customerId: string, addressId: string, body: ShippingAddressBody, market: Market, now: number): Promise<Cart> {
  const [cart, address] = await Promise.all([activeCart(env, customerId, now, market), bookAddress(env, customerId, addressId)]);
  const region = regionOfCart(env, market, cart);
  if (!sellsTo(region, address.countryCode)) throw notSoldTo(region, address.countryCode, body);
  const { before, loaded } = await loadCart(env, customerId, now, market, { before: [carts.setShippingAddressStatement(env.DB, cart.id, address, now)] });
  if (before[0]!.meta.changes === 0) throw notFound("Cart");
  return answerLoaded(env, customerId, loaded, now, market);
}

/** The methods that can ship the cart to its address (or anywhere in its region before it has one), with their charges for it. */
export async function shippingOptions(env: Env, customerId: string, market: Market, now = Date.now()): Promise<{ region: string; options: ShippingOption[] }> {
  const { loaded } = await loadCart(env, customerId, now, market);
  const cart = loaded.cart;
  const priced = await priceLoadedCart(env, customerId, loaded, [], now, market);
  const goods = priced.totals.subtotal - priced.totals.discount;
  const options = priced.market.quotes.map((q) => ({
    id: q.method.id,
    name: q.method.name,
    amount: money(shippingCharge(q.amount, q.method.freeOver, goods), cart.currency),
    estimatedDays: q.method.estimatedDays,
  }));
  return { region: priced.market.region.code, options };
}

/** Chooses a method; 422 when it cannot ship this cart (another region, another country, too heavy, inactive). */
export async function setShippingMethod(env: Env, customerId: string, methodId: string, market: Market, now = Date.now()): Promise<Cart> {
  const { loaded } = await loadCart(env, customerId, now, market);
  const { cart, lines } = loaded;
  const cm = await cartMarketOf(env, market, cart, lines.map((r) => ({
    lineId: r.item_id,
    quantity: r.quantity,
    taxCategory: r.tax_category,
    taxRateBps: r.tax_rate_bps,
    weightGrams: r.weight_grams,
    requiresShipping: r.requires_shipping === 1,
  })));
  if (!cm.ships) throw validationError([{ path: "shippingMethodId", message: "nothing in the cart ships" }]);
  if (!cm.quotes.some((q) => q.method.id === methodId)) {
    throw validationError([{ path: "shippingMethodId", message: "not a method that can ship this cart; GET /cart/shipping-methods lists them" }]);
  }
  const after = await loadCart(env, customerId, now, market, { before: [carts.setShippingMethodStatement(env.DB, cart.id, methodId, now)] });
  if (after.before[0]!.meta.changes === 0) throw notFound("Cart");
  return answerLoaded(env, customerId, after.loaded, now, market);
}
