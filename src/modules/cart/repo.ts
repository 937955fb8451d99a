/** D1 access for carts: the one active cart per customer, its items joined with live catalog rows. */
import { pricingStatements, type PricingRows } from "../pricing/repo";

/** `gift_cards` and `use_store_credit`: the balances applied to the cart (gift-cards/tenders.ts reads them). */
export type CartRow = {
  id: string;
  currency: string;
  discount_codes: string;
  region_code: string | null;
  shipping_address: string | null;
  shipping_method_id: string | null;
  gift_cards: string;
  use_store_credit: number;
};
const CART_COLUMNS = "id, currency, discount_codes, region_code, shipping_address, shipping_method_id, gift_cards, use_store_credit";
export type CartLineRow = {
  item_id: string;
  variant_id: string;
  product_id: string;
  category_id: string | null;
  quantity: number;
  sku: string;
  title: string;
  /** The variant's price in the cart's currency; null when it is not sold in it. */
  price: number | null;
  currency: string;
  tax_rate_bps: number;
  tax_category: string;
  weight_grams: number;
  requires_shipping: number;
  purchasable: number;
  bundle_selection: string | null;
  stock_shards: number;
};

/** A variant's price in the currency `currencySql` names: its own price, else its variant_prices row. */
export const priceInCurrencySql = (v: string, currencySql: string) =>
  `CASE WHEN ${v}.currency = ${currencySql} THEN ${v}.price ELSE (SELECT vp.amount FROM variant_prices vp WHERE vp.variant_id = ${v}.id AND vp.currency = ${currencySql}) END`;

const ensureStatement = (d1: D1Database, id: string, customerId: string, now: number, region: { code: string | null; currency: string }) =>
  d1
    .prepare(
      `INSERT INTO carts (id, customer_id, status, currency, region_code, discount_codes, version, created_at, updated_at)
       VALUES (?, ?, 'active', ?, ?, '[]', 1, ?, ?) ON CONFLICT DO NOTHING`,
    )
    .bind(id, customerId, region.currency, region.code, now, now);

/** Creates the active cart (in `region`) if there is none (the partial unique index decides), then reads it. */
export async function ensureActiveCart(d1: D1Database, id: string, customerId: string, now: number, region = { code: null as string | null, currency: "USD" }): Promise<CartRow> {
  const [, read] = await d1.batch<CartRow>([
    ensureStatement(d1, id, customerId, now, region),
    d1.prepare(`SELECT ${CART_COLUMNS} FROM carts WHERE customer_id = ? AND status = 'active'`).bind(customerId),
  ]);
  return read!.results[0]!;
}

const linesSql = (cartIdSql: string) =>
  `SELECT ci.id AS item_id, ci.variant_id, p.id AS product_id, p.category_id, ci.quantity, v.sku,
          p.title || ' - ' || v.title AS title, ${priceInCurrencySql("v", "c.currency")} AS price, c.currency, p.tax_rate_bps,
          p.tax_category, v.weight_grams, v.requires_shipping,
          (v.deleted_at IS NULL AND p.deleted_at IS NULL AND p.status = 'active') AS purchasable, ci.bundle_selection, v.stock_shards
   FROM cart_items ci
   JOIN carts c ON c.id = ci.cart_id
   JOIN product_variants v ON v.id = ci.variant_id
   JOIN products p ON p.id = v.product_id
   WHERE ci.cart_id = ${cartIdSql} ORDER BY ci.created_at, ci.id`;

// ── One round trip per cart read or write ────────────────────────────────────

/** The customer's active cart, as SQL: statements keyed on it need no id read first (the partial unique index makes it one row). */
const ACTIVE_CART = "(SELECT id FROM carts WHERE customer_id = ? AND status = 'active')";

/** The cart, its lines and every pricing input, as loaded in one batch. */
export type LoadedCart = { cart: CartRow; lines: CartLineRow[]; pricing: PricingRows };

/**
 * One D1 batch: creates the active cart if the customer has none (in `create.region`), runs
 * `before` (a write to the cart, an idempotency claim: statements after a write see it), then reads
 * the cart, its lines and everything pricing needs — all keyed on the customer's active cart, so no
 * id has to be read first. Answers the results of `before` and the cart as it is after them.
 */
export async function loadActiveCart(
  d1: D1Database,
  customerId: string,
  create: { id: string; now: number; region: { code: string | null; currency: string } },
  options: { before?: D1PreparedStatement[]; extraCodes?: string[] } = {},
): Promise<{ before: D1Result<unknown>[]; loaded: LoadedCart }> {
  const before = options.before ?? [];
  const pricing = pricingStatements(d1, { customerId, activeCart: true, extraCodes: options.extraCodes });
  const results = await d1.batch<unknown>([
    ensureStatement(d1, create.id, customerId, create.now, create.region),
    ...before,
    d1.prepare(`SELECT ${CART_COLUMNS} FROM carts WHERE customer_id = ? AND status = 'active'`).bind(customerId),
    d1.prepare(linesSql(ACTIVE_CART)).bind(customerId),
    ...pricing.statements,
  ]);
  const at = 1 + before.length;
  return {
    before: results.slice(1, at),
    loaded: {
      cart: results[at]!.results[0] as CartRow,
      lines: results[at + 1]!.results as CartLineRow[],
      pricing: pricing.parse(results.slice(at + 2)),
    },
  };
}

/** Sets a line's quantity in the customer's active cart (another customer's line is never matched). */
export const setActiveItemQuantityStatement = (d1: D1Database, customerId: string, itemId: string, quantity: number, now: number) =>
  d1.prepare(`UPDATE cart_items SET quantity = ?, updated_at = ? WHERE id = ? AND cart_id = ${ACTIVE_CART}`).bind(quantity, now, itemId, customerId);

export const deleteActiveItemStatement = (d1: D1Database, customerId: string, itemId: string) =>
  d1.prepare(`DELETE FROM cart_items WHERE id = ? AND cart_id = ${ACTIVE_CART}`).bind(itemId, customerId);

export const touchActiveStatement = (d1: D1Database, customerId: string, now: number) =>
  d1.prepare("UPDATE carts SET updated_at = ?, version = version + 1 WHERE customer_id = ? AND status = 'active'").bind(now, customerId);

/** The active cart (created on demand) and what `statements` read, in one batch. */
export async function readActiveCartWith(
  d1: D1Database,
  customerId: string,
  create: { id: string; now: number; region: { code: string | null; currency: string } },
  statements: D1PreparedStatement[],
): Promise<{ cart: CartRow; results: D1Result<unknown>[] }> {
  const [, cart, ...results] = await d1.batch<unknown>([
    ensureStatement(d1, create.id, customerId, create.now, create.region),
    d1.prepare(`SELECT ${CART_COLUMNS} FROM carts WHERE customer_id = ? AND status = 'active'`).bind(customerId),
    ...statements,
  ]);
  return { cart: cart!.results[0] as CartRow, results };
}

/** What adding a variant needs to know first, in one batch: the cart (created on demand), the variant, the cart's line count. */
export async function readForAdd(d1: D1Database, customerId: string, variantId: string, create: { id: string; now: number; region: { code: string | null; currency: string } }) {
  const { cart, results } = await readActiveCartWith(d1, customerId, create, [
    buyableVariantStatement(d1, variantId),
    d1.prepare(`SELECT COUNT(*) AS n FROM cart_items WHERE cart_id = ${ACTIVE_CART}`).bind(customerId),
  ]);
  return {
    cart,
    variant: (results[0]!.results[0] as BuyableVariant | undefined) ?? null,
    lineCount: (results[1]!.results[0] as { n: number } | undefined)?.n ?? 0,
  };
}

/**
 * A variant a shopper may put in a cart: live, of an active product, with the currencies it is
 * priced in (`prices`: JSON object currency → amount, its own price included).
 */
type BuyableVariant = { id: string; currency: string; product_id: string; is_bundle: number; prices: string };

const buyableVariantStatement = (d1: D1Database, variantId: string) =>
  d1
    .prepare(
      `SELECT v.id, v.currency, v.product_id, p.is_bundle,
              json_patch((SELECT coalesce(json_group_object(vp.currency, vp.amount), '{}') FROM variant_prices vp WHERE vp.variant_id = v.id),
                         json_object(v.currency, v.price)) AS prices
       FROM product_variants v JOIN products p ON p.id = v.product_id
       WHERE v.id = ? AND v.deleted_at IS NULL AND p.deleted_at IS NULL AND p.status = 'active'`,
    )
    .bind(variantId);

/**
 * Adds a variant without a bundle selection to the customer's active cart, or adds to its line,
 * only if every check of adding holds at that moment: the variant is live, of an active product
 * that is not a bundle, priced in the currency the cart prices in once loadCart has moved it (if it
 * must: `currency.byRegion[cart's region]`, else `currency.fallback`), and the cart has fewer than
 * `maxLines` lines; a line never passes `max` units. No change: one of them failed (the caller
 * reads the variant and the line count in the same batch to say which).
 */
export function addActiveItemStatement(
  d1: D1Database,
  customerId: string,
  row: { id: string; variantId: string; quantity: number; max: number; maxLines: number; now: number },
  currency: { byRegion: Record<string, string>; fallback: string },
) {
  const target = "coalesce((SELECT value FROM json_each(?8) WHERE key = c.region_code), ?9)";
  return d1
    .prepare(
      `INSERT INTO cart_items (id, cart_id, variant_id, quantity, bundle_selection, created_at, updated_at)
       SELECT ?1, c.id, v.id, ?2, NULL, ?3, ?3
       FROM carts c, product_variants v JOIN products p ON p.id = v.product_id
       WHERE c.customer_id = ?4 AND c.status = 'active'
         AND v.id = ?5 AND v.deleted_at IS NULL AND p.deleted_at IS NULL AND p.status = 'active' AND p.is_bundle = 0
         AND (v.currency = ${target} OR EXISTS (SELECT 1 FROM variant_prices vp WHERE vp.variant_id = v.id AND vp.currency = ${target}))
         AND (SELECT COUNT(*) FROM cart_items ci WHERE ci.cart_id = c.id) < ?6
       ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity, updated_at = excluded.updated_at
         WHERE cart_items.quantity + excluded.quantity <= ?7 AND cart_items.bundle_selection IS NULL`,
    )
    .bind(row.id, row.quantity, row.now, customerId, row.variantId, row.maxLines, row.max, JSON.stringify(currency.byRegion), currency.fallback);
}

/** What addActiveItemStatement's refusal is explained by: the variant as a shopper may buy it, and the cart's line count. */
export function addRefusalStatements(d1: D1Database, customerId: string, variantId: string) {
  return [buyableVariantStatement(d1, variantId), d1.prepare(`SELECT COUNT(*) AS n FROM cart_items WHERE cart_id = ${ACTIVE_CART}`).bind(customerId)];
}

export const addRefusalOf = (variant: D1Result<unknown>, count: D1Result<unknown>) => ({
  variant: (variant.results[0] as BuyableVariant | undefined) ?? null,
  lineCount: (count.results[0] as { n: number } | undefined)?.n ?? 0,
});

/** Bumps the active cart's version after the statement just before it changed a row (else nothing). */
export const touchActiveIfChangedStatement = (d1: D1Database, customerId: string, now: number) =>
  d1.prepare("UPDATE carts SET updated_at = ?, version = version + 1 WHERE customer_id = ? AND status = 'active' AND changes() = 1").bind(now, customerId);

export const touchStatement = (d1: D1Database, cartId: string, now: number) =>
  d1.prepare("UPDATE carts SET updated_at = ?, version = version + 1 WHERE id = ?").bind(now, cartId);

/** Adds the variant or adds to its quantity, refusing to pass `max` (no row changes then). */
export function addItemStatement(
  d1: D1Database,
  row: { id: string; cartId: string; variantId: string; quantity: number; max: number; now: number; selection: string | null },
) {
  // A bundle already in the cart only grows with the same selection (one line per variant).
  return d1
    .prepare(
      `INSERT INTO cart_items (id, cart_id, variant_id, quantity, bundle_selection, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity,
         updated_at = excluded.updated_at
       WHERE cart_items.quantity + excluded.quantity <= ? AND cart_items.bundle_selection IS excluded.bundle_selection`,
    )
    .bind(row.id, row.cartId, row.variantId, row.quantity, row.selection, row.now, row.now, row.max);
}


/** The codes stored on a cart (upper-case); a cart row that predates them reads as none. */
export function codesOf(cart: CartRow): string[] {
  try {
    const codes = JSON.parse(cart.discount_codes) as unknown;
    return Array.isArray(codes) ? codes.filter((c): c is string => typeof c === "string") : [];
  } catch {
    return [];
  }
}

/** Appends the code to the customer's active cart unless it holds it already or holds `max` codes (no row changes then). */
export const addActiveCodeStatement = (d1: D1Database, customerId: string, code: string, max: number, now: number) =>
  d1
    .prepare(
      `UPDATE carts SET discount_codes = json_insert(discount_codes, '$[#]', ?), updated_at = ?, version = version + 1
       WHERE customer_id = ? AND status = 'active' AND json_array_length(discount_codes) < ?
         AND NOT EXISTS (SELECT 1 FROM json_each(carts.discount_codes) WHERE value = ?)`,
    )
    .bind(code, now, customerId, max, code);

/** Removes the code from the customer's active cart (no row changes when it does not hold it). */
export const removeActiveCodeStatement = (d1: D1Database, customerId: string, code: string, now: number) =>
  d1
    .prepare(
      `UPDATE carts SET discount_codes = (SELECT COALESCE(json_group_array(value), '[]') FROM json_each(carts.discount_codes) WHERE value <> ?),
         updated_at = ?, version = version + 1
       WHERE customer_id = ? AND status = 'active' AND EXISTS (SELECT 1 FROM json_each(carts.discount_codes) WHERE value = ?)`,
    )
    .bind(code, now, customerId, code);

// ── Markets: the cart's region, shipping address and method ──────────────────

/**
 * Moves the cart to another region: its currency, no shipping method (methods are per region),
 * no address outside the region's countries, and no item the region's currency has no price for.
 * Answers the cart as it is now.
 */
export async function moveToRegion(d1: D1Database, cartId: string, region: { code: string; currency: string; countries: string[] }, now: number): Promise<CartRow> {
  const [, , read] = await d1.batch<CartRow>([...moveToRegionStatements(d1, cartId, region, now), d1.prepare(`SELECT ${CART_COLUMNS} FROM carts WHERE id = ?`).bind(cartId)]);
  return read!.results[0]!;
}

/** The writes of moveToRegion, to put before a read of the cart in one batch. */
export function moveToRegionStatements(d1: D1Database, cartId: string, region: { code: string; currency: string; countries: string[] }, now: number) {
  const countries = JSON.stringify(region.countries);
  return [
    d1
      .prepare(
        `UPDATE carts SET region_code = ?1, currency = ?2, shipping_method_id = NULL,
           shipping_address = CASE WHEN json_array_length(?3) = 0 OR json_extract(shipping_address, '$.countryCode') IN (SELECT value FROM json_each(?3))
                              THEN shipping_address END,
           updated_at = ?4, version = version + 1
         WHERE id = ?5 AND status = 'active'`,
      )
      .bind(region.code, region.currency, countries, now, cartId),
    d1
      .prepare(
        `DELETE FROM cart_items WHERE cart_id = ?1 AND variant_id IN (
           SELECT v.id FROM cart_items ci JOIN product_variants v ON v.id = ci.variant_id
           WHERE ci.cart_id = ?1 AND (${priceInCurrencySql("v", "?2")}) IS NULL)`,
      )
      .bind(cartId, region.currency),
  ];
}

/** Stores a copy of the address on the cart; the chosen method is kept (the next pricing checks it still fits). */
export const setShippingAddressStatement = (d1: D1Database, cartId: string, address: unknown, now: number) =>
  d1.prepare("UPDATE carts SET shipping_address = ?, updated_at = ?, version = version + 1 WHERE id = ? AND status = 'active'").bind(JSON.stringify(address), now, cartId);

/**
 * Copies the address onto the customer's active cart only if the region the cart prices in sells to
 * the address's country: the cart's own region when it is one of `known`, else `fallback` (the rule
 * of regionOfCart), and that region must be one of `accepting`. No changes: the region refused it.
 */
export const setActiveShippingAddressStatement = (
  d1: D1Database,
  customerId: string,
  address: unknown,
  now: number,
  rule: { known: string[]; fallback: string; accepting: string[] },
) =>
  d1
    .prepare(
      `UPDATE carts SET shipping_address = ?, updated_at = ?, version = version + 1
       WHERE customer_id = ? AND status = 'active'
         AND (CASE WHEN region_code IN (SELECT value FROM json_each(?)) THEN region_code ELSE ? END) IN (SELECT value FROM json_each(?))`,
    )
    .bind(JSON.stringify(address), now, customerId, JSON.stringify(rule.known), rule.fallback, JSON.stringify(rule.accepting));

export const setShippingMethodStatement = (d1: D1Database, cartId: string, methodId: string, now: number) =>
  d1.prepare("UPDATE carts SET shipping_method_id = ?, updated_at = ?, version = version + 1 WHERE id = ? AND status = 'active'").bind(methodId, now, cartId);
