/**
 * The shopper's cart: one active cart per customer, created on demand; prices always come from the
 * catalog rows on the server, never from the client.
 */
import { AppError, notFound, validationError } from "../../http/errors";
import { newId } from "../../lib/ids";
import { money } from "../../lib/money";
import { priceLines, type PricedLine, type Totals } from "../checkout/totals";
import * as repo from "./repo";
import { MAX_CART_LINES, MAX_LINE_QUANTITY, type AddCartItemBody, type Cart } from "./schemas";

export type PricedCart = { id: string; currency: string; lines: (PricedLine & { purchasable: boolean })[]; totals: Totals };

export function activeCart(env: Env, customerId: string, now = Date.now()) {
  return repo.ensureActiveCart(env.DB, newId("cart", now), customerId, now);
}

/** Reads the cart's items and prices them with today's catalog prices. */
export async function priceCart(env: Env, cart: repo.CartRow): Promise<PricedCart> {
  const rows = await repo.cartLines(env.DB, cart.id);
  const { lines, totals } = priceLines(
    rows.map((r) => ({
      itemId: r.item_id,
      variantId: r.variant_id,
      productId: r.product_id,
      sku: r.sku,
      title: r.title,
      quantity: r.quantity,
      unitPrice: r.price,
      taxRateBps: r.tax_rate_bps,
    })),
  );
  return { id: cart.id, currency: cart.currency, lines: lines.map((l, i) => ({ ...l, purchasable: rows[i]!.purchasable === 1 })), totals };
}

export function toCartItem(line: PricedLine, currency: string) {
  return {
    id: line.itemId,
    variantId: line.variantId,
    sku: line.sku,
    title: line.title,
    quantity: line.quantity,
    unitPrice: money(line.unitPrice, currency),
    lineTotal: money(line.lineTotal, currency),
  };
}

export function toTotals(totals: Totals, currency: string) {
  return {
    subtotal: money(totals.subtotal, currency),
    discount: money(totals.discount, currency),
    tax: money(totals.tax, currency),
    total: money(totals.total, currency),
  };
}

function toCart(priced: PricedCart): Cart {
  return {
    id: priced.id,
    items: priced.lines.map((l) => toCartItem(l, priced.currency)),
    discounts: [],
    totals: toTotals(priced.totals, priced.currency),
  };
}

/** The customer's active cart (created on demand). */
export async function getCart(env: Env, customerId: string): Promise<Cart> {
  return toCart(await priceCart(env, await activeCart(env, customerId)));
}

const tooMany = (message: string) => validationError([{ path: "quantity", message }]);

/** Adds a variant; adding one already in the cart adds to its quantity. */
export async function addItem(env: Env, customerId: string, input: AddCartItemBody, now = Date.now()): Promise<Cart> {
  const variant = await repo.findBuyableVariant(env.DB, input.variantId);
  if (!variant) throw notFound("Variant");
  const cart = await activeCart(env, customerId, now);
  if (variant.currency !== cart.currency) {
    throw new AppError("VALIDATION_ERROR", "Variant is priced in another currency than the cart", 422, {
      issues: [{ path: "variantId", message: `cart currency is ${cart.currency}` }],
    });
  }
  if ((await repo.countItems(env.DB, cart.id)) >= MAX_CART_LINES) throw validationError([{ path: "variantId", message: `a cart holds at most ${MAX_CART_LINES} lines` }]);
  const row = { id: newId("item", now), cartId: cart.id, variantId: variant.id, quantity: input.quantity, max: MAX_LINE_QUANTITY, now };
  if (!(await repo.addItem(env.DB, row))) throw tooMany(`a line holds at most ${MAX_LINE_QUANTITY} units`);
  return toCart(await priceCart(env, cart));
}

/** Sets an item's quantity; another customer's item is not found. */
export async function updateItem(env: Env, customerId: string, itemId: string, quantity: number, now = Date.now()): Promise<Cart> {
  const cart = await activeCart(env, customerId, now);
  if (!(await repo.setItemQuantity(env.DB, cart.id, itemId, quantity, now))) throw notFound("Cart item");
  return toCart(await priceCart(env, cart));
}

/** Removes an item; another customer's item is not found. */
export async function removeItem(env: Env, customerId: string, itemId: string, now = Date.now()): Promise<Cart> {
  const cart = await activeCart(env, customerId, now);
  if (!(await repo.deleteItem(env.DB, cart.id, itemId, now))) throw notFound("Cart item");
  return toCart(await priceCart(env, cart));
}
