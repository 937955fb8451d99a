/**
 * The shopper's cart: one active cart per customer, created on demand; prices always come from the
 * server (catalog, price lists, discounts through the pricing engine), never from the client.
 */
import { AppError, notFound, validationError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { resolveSelection } from "../bundles/service";
import { appliedBalances, estimateTenders, tenderViews, type Tender } from "../gift-cards/tenders";
import { chosenView, regionMove } from "../markets/cart";
import { defaultMarket, regionsOf, type Market } from "../markets/context";
import { normalizeCode } from "../pricing/eligibility";
import type { RejectionReason } from "../pricing/types";
import { priceLoadedCart, toCartItem, toDiscountViews, toPayableTotals, type CartPricing } from "./pricing";
import * as repo from "./repo";
import { MAX_CART_CODES, MAX_CART_LINES, MAX_LINE_QUANTITY, type AddCartItemBody, type Cart } from "./schemas";

/**
 * The customer's active cart, created on demand in the request's region. A cart keeps the region
 * it was made in; a request naming another region (?region, X-Region) moves it there (markets).
 */
export async function activeCart(env: Env, customerId: string, now = Date.now(), market?: Market) {
  const m = market ?? (await defaultMarket(env));
  const cart = await repo.ensureActiveCart(env.DB, newId("cart", now), customerId, now, { code: m.region.code, currency: m.region.currency });
  const move = regionMove(env, m, cart);
  return move ? repo.moveToRegion(env.DB, cart.id, move, now) : cart;
}

function toCart(priced: CartPricing, cart: repo.CartRow, tenders: Tender[]): Cart {
  const paid = tenderViews(tenders, priced.currency);
  return {
    id: priced.id,
    items: priced.lines.map((l) => toCartItem(l, priced.currency)),
    ...toDiscountViews(priced.applied, priced.currency),
    inactiveCodes: priced.rejected.map((r) => ({ code: normalizeCode(r.code), reason: r.reason })),
    region: priced.market.region.code,
    requiresShipping: priced.market.ships,
    shippingAddress: priced.market.address,
    shippingMethod: priced.market.ships ? chosenView(priced.market, priced.shipping?.amount ?? 0) : null,
    giftCards: paid.giftCards,
    usesStoreCredit: cart.use_store_credit === 1,
    totals: toPayableTotals(priced.totals, tenders, priced.currency),
  };
}

async function answerPriced(env: Env, customerId: string, cart: repo.CartRow, priced: CartPricing): Promise<Cart> {
  // Gift cards and store credit on the cart: what each would pay now (held only when the checkout locks).
  const tenders = await estimateTenders(env, appliedBalances(customerId, cart.currency, cart), priced.totals.total);
  return toCart(priced, cart, tenders);
}

/** The cart answer for a cart loaded with its pricing inputs: no further D1 call. */
export async function answerLoaded(env: Env, customerId: string, loaded: repo.LoadedCart, now: number, market?: Market): Promise<Cart> {
  return answerPriced(env, customerId, loaded.cart, await priceLoadedCart(env, customerId, loaded, [], now, market));
}

/**
 * The customer's active cart with its lines and pricing inputs, in one D1 batch, after `before`
 * (writes keyed on the active cart; their results come back). A cart that must change region
 * first (markets) costs one more batch: the move and the same reads.
 */
export async function loadCart(
  env: Env,
  customerId: string,
  now: number,
  market: Market | undefined,
  options: { before?: D1PreparedStatement[]; extraCodes?: string[] } = {},
): Promise<{ before: D1Result<unknown>[]; loaded: repo.LoadedCart }> {
  const m = market ?? (await defaultMarket(env));
  const create = { id: newId("cart", now), now, region: { code: m.region.code, currency: m.region.currency } };
  const first = await repo.loadActiveCart(env.DB, customerId, create, options);
  const move = regionMove(env, m, first.loaded.cart);
  if (!move) return first;
  const moved = await repo.loadActiveCart(env.DB, customerId, create, { before: repo.moveToRegionStatements(env.DB, first.loaded.cart.id, move, now), extraCodes: options.extraCodes });
  return { before: first.before, loaded: moved.loaded };
}

/** The active cart (created on demand, moved to the request's region if it must be) and what `statements` read, in one batch. */
export async function cartWith(env: Env, customerId: string, now: number, market: Market | undefined, statements: D1PreparedStatement[]) {
  const m = market ?? (await defaultMarket(env));
  const read = await repo.readActiveCartWith(env.DB, customerId, { id: newId("cart", now), now, region: { code: m.region.code, currency: m.region.currency } }, statements);
  const move = regionMove(env, m, read.cart);
  return move ? { cart: await repo.moveToRegion(env.DB, read.cart.id, move, now), results: read.results } : read;
}

/** The customer's active cart (created on demand): one D1 round trip. */
export async function getCart(env: Env, customerId: string, market?: Market): Promise<Cart> {
  const now = Date.now();
  return answerLoaded(env, customerId, (await loadCart(env, customerId, now, market)).loaded, now, market);
}

const changed = (result: D1Result<unknown> | undefined) => (result?.meta.changes ?? 0) > 0;

/** The components of a bundle variant's selection; null for other variants (which take none). */
async function bundleComponents(env: Env, variant: { product_id: string; is_bundle: number }, input: AddCartItemBody) {
  if (variant.is_bundle !== 1) {
    if (input.bundleSelection) throw validationError([{ path: "bundleSelection", message: "only a bundle takes a selection" }]);
    return null;
  }
  if (!input.bundleSelection) throw validationError([{ path: "bundleSelection", message: "a bundle needs a selection" }]);
  return resolveSelection(env, variant.product_id, input.bundleSelection);
}

const tooMany = (message: string) => validationError([{ path: "quantity", message }]);

function notSoldIn(currency: string): AppError {
  return new AppError("VALIDATION_ERROR", `This variant has no price in ${currency}, so it cannot be bought in this region`, 422, {
    issues: [{ path: "variantId", message: `not sold in ${currency}` }],
  });
}

const tooManyLines = () => validationError([{ path: "variantId", message: `a cart holds at most ${MAX_CART_LINES} lines` }]);

/**
 * The currency a cart prices in once loadCart has moved it, if it must (regionMove): the request's
 * region when it names one; else the cart's own region while it exists, else the request's.
 */
function currencyAfterMove(env: Env, m: Market): { byRegion: Record<string, string>; fallback: string } {
  const byRegion = m.explicit ? {} : Object.fromEntries(regionsOf(env, m.config).map((r) => [r.code, r.currency]));
  return { byRegion, fallback: m.region.currency };
}

/**
 * Adds a variant; adding one already in the cart adds to its quantity. One round trip: the write
 * goes first in the batch that loads the cart, guarded in SQL by every check (addActiveItemStatement),
 * and the variant and line count read behind it say which check refused it. A bundle (it comes
 * with a selection to resolve) takes two: what the checks need, then the write with the re-read.
 */
export async function addItem(env: Env, customerId: string, input: AddCartItemBody, now = Date.now(), market?: Market): Promise<Cart> {
  const m = market ?? (await defaultMarket(env));
  if (input.bundleSelection) return addBundle(env, customerId, input, now, m);
  const row = { id: newId("item", now), variantId: input.variantId, quantity: input.quantity, max: MAX_LINE_QUANTITY, maxLines: MAX_CART_LINES, now };
  const { before, loaded } = await loadCart(env, customerId, now, m, {
    before: [
      repo.addActiveItemStatement(env.DB, customerId, row, currencyAfterMove(env, m)),
      repo.touchActiveIfChangedStatement(env.DB, customerId, now),
      ...repo.addRefusalStatements(env.DB, customerId, input.variantId),
    ],
  });
  if (!changed(before[0])) {
    // The same checks, in the same order, as the two-trip path makes before writing.
    const { variant, lineCount } = repo.addRefusalOf(before[2]!, before[3]!);
    if (!variant) throw notFound("Variant");
    if (!(loaded.cart.currency in (JSON.parse(variant.prices) as Record<string, number>))) throw notSoldIn(loaded.cart.currency);
    if (lineCount >= MAX_CART_LINES) throw tooManyLines();
    await bundleComponents(env, variant, input);
    throw tooMany(`a line holds at most ${MAX_LINE_QUANTITY} units`);
  }
  return answerLoaded(env, customerId, loaded, now, m);
}

/** A bundle with its selection: what the checks need (cart, variant, line count), then the write with the cart re-read behind it. */
async function addBundle(env: Env, customerId: string, input: AddCartItemBody, now: number, m: Market): Promise<Cart> {
  const create = { id: newId("cart", now), now, region: { code: m.region.code, currency: m.region.currency } };
  const read = await repo.readForAdd(env.DB, customerId, input.variantId, create);
  const move = regionMove(env, m, read.cart);
  const cart = move ? await repo.moveToRegion(env.DB, read.cart.id, move, now) : read.cart;
  const variant = read.variant;
  if (!variant) throw notFound("Variant");
  // Prices are set per currency and never converted: a variant without one in the cart's currency is not sold in its region.
  if (!(cart.currency in (JSON.parse(variant.prices) as Record<string, number>))) throw notSoldIn(cart.currency);
  if (read.lineCount >= MAX_CART_LINES) throw tooManyLines();
  const components = await bundleComponents(env, variant, input);
  const selection = components ? JSON.stringify(components) : null;
  const row = { id: newId("item", now), cartId: cart.id, variantId: variant.id, quantity: input.quantity, max: MAX_LINE_QUANTITY, now, selection };
  const { before, loaded } = await repo.loadActiveCart(env.DB, customerId, create, { before: [repo.addItemStatement(env.DB, row), repo.touchStatement(env.DB, cart.id, now)] });
  if (!changed(before[0])) {
    throw tooMany(`a line holds at most ${MAX_LINE_QUANTITY} units${selection ? ", and a bundle in the cart keeps its selection" : ""}`);
  }
  return answerLoaded(env, customerId, loaded, now, m);
}

/** Sets an item's quantity; another customer's item is not found. One round trip: the write, then the cart read behind it. */
export async function updateItem(env: Env, customerId: string, itemId: string, quantity: number, now = Date.now(), market?: Market): Promise<Cart> {
  const { before, loaded } = await loadCart(env, customerId, now, market, {
    before: [repo.setActiveItemQuantityStatement(env.DB, customerId, itemId, quantity, now), repo.touchActiveStatement(env.DB, customerId, now)],
  });
  if (!changed(before[0])) throw notFound("Cart item");
  return answerLoaded(env, customerId, loaded, now, market);
}

/** Removes an item; another customer's item is not found. One round trip. */
export async function removeItem(env: Env, customerId: string, itemId: string, now = Date.now(), market?: Market): Promise<Cart> {
  const { before, loaded } = await loadCart(env, customerId, now, market, {
    before: [repo.deleteActiveItemStatement(env.DB, customerId, itemId), repo.touchActiveStatement(env.DB, customerId, now)],
  });
  if (!changed(before[0])) throw notFound("Cart item");
  return answerLoaded(env, customerId, loaded, now, market);
}

const REASON_MESSAGES: Record<RejectionReason, string> = {
  expired: "has expired",
  not_started: "is not active yet",
  usage_limit_reached: "has been used up",
  customer_limit_reached: "has already been used the maximum number of times on your account",
  minimum_not_met: "needs a larger order",
  not_applicable: "does not apply to the items in your cart",
  not_stackable: "cannot be combined with another discount in your cart",
  unknown: "does not exist",
};

/** The 422 for a code that does not apply: the engine's reason in `details.reason`. */
export function codeRejected(code: string, reason: RejectionReason): AppError {
  return new AppError("VALIDATION_ERROR", `Discount code ${code} ${REASON_MESSAGES[reason]}`, 422, {
    reason,
    code,
    issues: [{ path: "code", message: reason }],
  });
}

/**
 * Stores a code on the cart once it applies to it; a code that does not apply is a 422 with the
 * reason. Two round trips: the cart priced with the code on trial, then the write and the re-read.
 */
export async function addDiscountCode(env: Env, customerId: string, rawCode: string, now = Date.now(), market?: Market): Promise<Cart> {
  const code = normalizeCode(rawCode);
  const { loaded } = await loadCart(env, customerId, now, market, { extraCodes: [code] });
  const held = repo.codesOf(loaded.cart);
  if (held.includes(code)) return answerLoaded(env, customerId, loaded, now, market);
  if (held.length >= MAX_CART_CODES) throw validationError([{ path: "code", message: `a cart holds at most ${MAX_CART_CODES} codes` }]);
  const trial = await priceLoadedCart(env, customerId, loaded, [code], now, market);
  const reason = trial.rejected.find((r) => normalizeCode(r.code) === code)?.reason;
  if (reason) throw codeRejected(code, reason);
  const after = await loadCart(env, customerId, now, market, { before: [repo.addActiveCodeStatement(env.DB, customerId, code, MAX_CART_CODES, now)] });
  return answerLoaded(env, customerId, after.loaded, now, market);
}

/** Takes a code off the cart; a code the cart does not hold is not found. One round trip. */
export async function removeDiscountCode(env: Env, customerId: string, rawCode: string, now = Date.now(), market?: Market): Promise<Cart> {
  const { before, loaded } = await loadCart(env, customerId, now, market, { before: [repo.removeActiveCodeStatement(env.DB, customerId, normalizeCode(rawCode), now)] });
  if (!changed(before[0])) throw notFound("Discount code on the cart");
  return answerLoaded(env, customerId, loaded, now, market);
}
