/**
 * D1 reads the pricing engine needs for one cart, in one batch whatever the cart's size: the
 * customer's group, the price lists that price its variants (+ their groups), the automatic and
 * entered discounts, the customer's redemptions, category ancestry and collections.
 */
import type { discounts, priceListGroups, priceListPrices, priceLists } from "../../db/schema";

/** D1 binds at most 100 parameters per statement; IN lists are cut well below that. */
export const IN_CHUNK = 90;

export function chunked<T>(items: readonly T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const marks = (n: number) => Array.from({ length: n }, () => "?").join(", ");

type DiscountRow = typeof discounts.$inferSelect;
type PriceListRow = typeof priceLists.$inferSelect;

export type PricingRows = {
  customerGroupId: string | null;
  priceLists: PriceListRow[];
  priceListGroups: (typeof priceListGroups.$inferSelect)[];
  prices: (typeof priceListPrices.$inferSelect)[];
  discounts: DiscountRow[];
  redemptions: Map<string, number>;
  categoryParents: Map<string, string | null>;
  collectionsByProduct: Map<string, string[]>;
  /** Catalog prices of bundle components. */
  variantPrices: Map<string, number>;
};

const DISCOUNT_COLUMNS = `id, code, title, kind, value, rules, is_automatic AS isAutomatic, priority, stackable,
  starts_at AS startsAt, ends_at AS endsAt, usage_limit AS usageLimit, usage_count AS usageCount,
  per_customer_limit AS perCustomerLimit, status, version, deleted_at AS deletedAt, created_at AS createdAt, updated_at AS updatedAt`;
const LIST_COLUMNS = `pl.id, pl.name, pl.currency, pl.priority, pl.starts_at AS startsAt, pl.ends_at AS endsAt, pl.status,
  pl.version, pl.deleted_at AS deletedAt, pl.created_at AS createdAt, pl.updated_at AS updatedAt`;
// Live price lists only; the engine applies the window and groups again, so this is just a filter.
const LIVE_LIST = "pl.status = 'active' AND pl.deleted_at IS NULL";

/** A piece of SQL naming a set of ids (`IN (<sql>)`) with its arguments. */
type IdSet = { sql: string; args: unknown[] };

/**
 * Which rows to load: the ids of the lines being priced (chunked IN lists), or the customer's
 * active cart itself — every set a subquery keyed on it, so the pricing inputs load in the same
 * batch as the cart and its lines (and after a write to them) without knowing any id first.
 */
export type PricingKeys =
  | { customerId: string; currency: string; variantIds: string[]; productIds: string[]; categoryIds: string[]; codes: string[]; componentIds: string[] }
  | { customerId: string; activeCart: true; extraCodes?: string[] };

type Sets = { variants: IdSet[]; products: IdSet[]; categories: IdSet[]; components: IdSet[]; codes: IdSet | null; currency: IdSet };

const listed = (ids: string[]): IdSet[] => chunked(ids).map((chunk) => ({ sql: marks(chunk.length), args: chunk }));

function setsOf(keys: PricingKeys): Sets {
  if (!("activeCart" in keys)) {
    return {
      variants: listed(keys.variantIds),
      products: listed(keys.productIds),
      categories: listed(keys.categoryIds),
      components: listed(keys.componentIds),
      codes: keys.codes.length > 0 ? { sql: marks(keys.codes.length), args: keys.codes } : null,
      currency: { sql: "?", args: [keys.currency] },
    };
  }
  const c = keys.customerId;
  const cart = "(SELECT id FROM carts WHERE customer_id = ? AND status = 'active')";
  const components = `SELECT json_extract(j.value, '$.variantId') FROM cart_items ci, json_each(ci.bundle_selection) j WHERE ci.cart_id = ${cart} AND ci.bundle_selection IS NOT NULL`;
  const lineVariants = `SELECT ci.variant_id FROM cart_items ci WHERE ci.cart_id = ${cart}`;
  return {
    variants: [{ sql: `${lineVariants} UNION ${components}`, args: [c, c] }],
    products: [{ sql: `SELECT v.product_id FROM cart_items ci JOIN product_variants v ON v.id = ci.variant_id WHERE ci.cart_id = ${cart}`, args: [c] }],
    categories: [{
      sql: `SELECT p.category_id FROM cart_items ci JOIN product_variants v ON v.id = ci.variant_id JOIN products p ON p.id = v.product_id
            WHERE ci.cart_id = ${cart} AND p.category_id IS NOT NULL`,
      args: [c],
    }],
    components: [{ sql: components, args: [c] }],
    // Codes on the cart are stored normalized; extra ones (a code being tried) come normalized too.
    codes: {
      sql: "SELECT value FROM json_each((SELECT discount_codes FROM carts WHERE customer_id = ? AND status = 'active')) UNION SELECT value FROM json_each(?)",
      args: [c, JSON.stringify(keys.extraCodes ?? [])],
    },
    currency: { sql: "(SELECT currency FROM carts WHERE customer_id = ? AND status = 'active')", args: [c] },
  };
}

function listStatements(d1: D1Database, sets: Sets) {
  return sets.variants.flatMap((ids) => [
    d1.prepare(
      `SELECT DISTINCT ${LIST_COLUMNS} FROM price_list_prices p JOIN price_lists pl ON pl.id = p.price_list_id
       WHERE p.variant_id IN (${ids.sql}) AND ${LIVE_LIST}`,
    ).bind(...ids.args),
    d1.prepare(
      `SELECT p.price_list_id AS priceListId, p.variant_id AS variantId, p.amount FROM price_list_prices p
       JOIN price_lists pl ON pl.id = p.price_list_id WHERE p.variant_id IN (${ids.sql}) AND ${LIVE_LIST}`,
    ).bind(...ids.args),
    d1.prepare(
      `SELECT DISTINCT g.price_list_id AS priceListId, g.customer_group_id AS customerGroupId FROM price_list_groups g
       WHERE g.price_list_id IN (SELECT price_list_id FROM price_list_prices WHERE variant_id IN (${ids.sql}))`,
    ).bind(...ids.args),
  ]);
}

function discountStatements(d1: D1Database, sets: Sets, customerId: string) {
  const coded = sets.codes ? `OR code IN (${sets.codes.sql})` : "";
  const codeArgs = sets.codes?.args ?? [];
  return [
    d1.prepare(
      `SELECT ${DISCOUNT_COLUMNS} FROM discounts WHERE (is_automatic = 1 AND status = 'active') ${coded}`,
    ).bind(...codeArgs),
    d1.prepare(
      `SELECT discount_id AS discountId, COUNT(*) AS n FROM discount_redemptions
       WHERE customer_id = ? AND reversed_at IS NULL AND discount_id IN (SELECT id FROM discounts WHERE (is_automatic = 1 AND status = 'active') ${coded})
       GROUP BY discount_id`,
    ).bind(customerId, ...codeArgs),
  ];
}

function catalogStatements(d1: D1Database, sets: Sets) {
  const ancestry = sets.categories.map((ids) =>
    d1.prepare(
      `WITH RECURSIVE chain(id, parent_id) AS (
         SELECT id, parent_id FROM categories WHERE id IN (${ids.sql})
         UNION SELECT c.id, c.parent_id FROM categories c JOIN chain ON c.id = chain.parent_id)
       SELECT id, parent_id AS parentId FROM chain`,
    ).bind(...ids.args),
  );
  const collections = sets.products.map((ids) =>
    d1.prepare(`SELECT product_id AS productId, collection_id AS collectionId FROM product_collections WHERE product_id IN (${ids.sql})`).bind(...ids.args),
  );
  return { ancestry, collections };
}

// A component's price in the cart's currency: its own price, else its price in variant_prices
// (a component not sold in the currency counts 0 — the bundle line itself then has no price there).
function componentStatements(d1: D1Database, sets: Sets) {
  const cur = sets.currency;
  return sets.components.map((ids) =>
    d1
      .prepare(
        `SELECT v.id, CASE WHEN v.currency = ${cur.sql} THEN v.price
           ELSE coalesce((SELECT vp.amount FROM variant_prices vp WHERE vp.variant_id = v.id AND vp.currency = ${cur.sql}), 0) END AS price
         FROM product_variants v WHERE v.id IN (${ids.sql})`,
      )
      .bind(...cur.args, ...cur.args, ...ids.args),
  );
}

type Parsed = Omit<DiscountRow, "rules" | "isAutomatic" | "stackable"> & { rules: string; isAutomatic: number; stackable: number };

function parseDiscount(row: Parsed): DiscountRow {
  let rules: Record<string, unknown>;
  try {
    rules = JSON.parse(row.rules) as Record<string, unknown>;
  } catch {
    // Unreadable rules never validate, so such a discount simply never applies.
    rules = { invalid: true };
  }
  return { ...row, rules, isAutomatic: row.isAutomatic === 1, stackable: row.stackable === 1 };
}

/** The pricing reads as statements to put in any batch, and how to read their results back. */
export type PricingLoad = { statements: D1PreparedStatement[]; parse(results: readonly D1Result<unknown>[]): PricingRows };

/** Everything the engine needs for these keys, as statements for one D1 batch (the caller's). */
export function pricingStatements(d1: D1Database, keys: PricingKeys): PricingLoad {
  const sets = setsOf(keys);
  const lists = listStatements(d1, sets);
  const [discountStmt, redemptionStmt] = discountStatements(d1, sets, keys.customerId);
  const { ancestry, collections } = catalogStatements(d1, sets);
  const components = componentStatements(d1, sets);
  const user = d1.prepare("SELECT customer_group_id AS groupId FROM users WHERE id = ?").bind(keys.customerId);
  const statements = [user, discountStmt!, redemptionStmt!, ...lists, ...ancestry, ...collections, ...components];
  const parse = (results: readonly D1Result<unknown>[]): PricingRows => {
    const rows = <T>(i: number) => results[i]!.results as T[];
    const at = (from: number, count: number, step = 1, offset = 0) =>
      Array.from({ length: count }, (_, k) => from + k * step + offset).flatMap((i) => rows<never>(i));
    const listCount = lists.length / 3;
    const afterLists = 3 + lists.length;
    const byId = <T extends { id: string }>(items: T[]) => [...new Map(items.map((x) => [x.id, x])).values()];
    const collectionsByProduct = new Map<string, string[]>();
    for (const r of at(afterLists + ancestry.length, collections.length) as { productId: string; collectionId: string }[]) {
      collectionsByProduct.set(r.productId, [...(collectionsByProduct.get(r.productId) ?? []), r.collectionId]);
    }
    return {
      customerGroupId: rows<{ groupId: string | null }>(0)[0]?.groupId ?? null,
      discounts: rows<Parsed>(1).map(parseDiscount),
      redemptions: new Map(rows<{ discountId: string; n: number }>(2).map((r) => [r.discountId, r.n])),
      priceLists: byId(at(3, listCount, 3) as PriceListRow[]),
      prices: at(3, listCount, 3, 1),
      priceListGroups: at(3, listCount, 3, 2),
      categoryParents: new Map((at(afterLists, ancestry.length) as { id: string; parentId: string | null }[]).map((r) => [r.id, r.parentId])),
      collectionsByProduct,
      variantPrices: new Map((at(afterLists + ancestry.length + collections.length, components.length) as { id: string; price: number }[]).map((r) => [r.id, r.price])),
    };
  };
  return { statements, parse };
}

/** Everything the engine needs for these lines and codes, loaded in one D1 batch. */
export async function loadPricingRows(
  d1: D1Database,
  input: { customerId: string; currency: string; variantIds: string[]; productIds: string[]; categoryIds: string[]; codes: string[]; componentIds: string[] },
): Promise<PricingRows> {
  const load = pricingStatements(d1, input);
  return load.parse(await d1.batch(load.statements));
}
