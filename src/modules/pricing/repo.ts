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

type Statements = { d1: D1Database; currency: string; variantIds: string[]; productIds: string[]; categoryIds: string[]; codes: string[]; componentIds: string[] };

function listStatements({ d1, variantIds }: Statements) {
  return chunked(variantIds).flatMap((ids) => [
    d1.prepare(
      `SELECT DISTINCT ${LIST_COLUMNS} FROM price_list_prices p JOIN price_lists pl ON pl.id = p.price_list_id
       WHERE p.variant_id IN (${marks(ids.length)}) AND ${LIVE_LIST}`,
    ).bind(...ids),
    d1.prepare(
      `SELECT p.price_list_id AS priceListId, p.variant_id AS variantId, p.amount FROM price_list_prices p
       JOIN price_lists pl ON pl.id = p.price_list_id WHERE p.variant_id IN (${marks(ids.length)}) AND ${LIVE_LIST}`,
    ).bind(...ids),
    d1.prepare(
      `SELECT DISTINCT g.price_list_id AS priceListId, g.customer_group_id AS customerGroupId FROM price_list_groups g
       WHERE g.price_list_id IN (SELECT price_list_id FROM price_list_prices WHERE variant_id IN (${marks(ids.length)}))`,
    ).bind(...ids),
  ]);
}

function discountStatements({ d1, codes }: Statements, customerId: string) {
  const coded = codes.length > 0 ? `OR code IN (${marks(codes.length)})` : "";
  return [
    d1.prepare(
      `SELECT ${DISCOUNT_COLUMNS} FROM discounts WHERE (is_automatic = 1 AND status = 'active') ${coded}`,
    ).bind(...codes),
    d1.prepare(
      `SELECT discount_id AS discountId, COUNT(*) AS n FROM discount_redemptions
       WHERE customer_id = ? AND reversed_at IS NULL AND discount_id IN (SELECT id FROM discounts WHERE (is_automatic = 1 AND status = 'active') ${coded})
       GROUP BY discount_id`,
    ).bind(customerId, ...codes),
  ];
}

function catalogStatements({ d1, productIds, categoryIds }: Statements) {
  const ancestry = chunked(categoryIds).map((ids) =>
    d1.prepare(
      `WITH RECURSIVE chain(id, parent_id) AS (
         SELECT id, parent_id FROM categories WHERE id IN (${marks(ids.length)})
         UNION SELECT c.id, c.parent_id FROM categories c JOIN chain ON c.id = chain.parent_id)
       SELECT id, parent_id AS parentId FROM chain`,
    ).bind(...ids),
  );
  const collections = chunked(productIds).map((ids) =>
    d1.prepare(`SELECT product_id AS productId, collection_id AS collectionId FROM product_collections WHERE product_id IN (${marks(ids.length)})`).bind(...ids),
  );
  return { ancestry, collections };
}

// A component's price in the cart's currency: its own price, else its price in variant_prices
// (a component not sold in the currency counts 0 — the bundle line itself then has no price there).
function componentStatements({ d1, componentIds, currency }: Statements) {
  return chunked(componentIds).map((ids) =>
    d1
      .prepare(
        `SELECT v.id, CASE WHEN v.currency = ? THEN v.price
           ELSE coalesce((SELECT vp.amount FROM variant_prices vp WHERE vp.variant_id = v.id AND vp.currency = ?), 0) END AS price
         FROM product_variants v WHERE v.id IN (${marks(ids.length)})`,
      )
      .bind(currency, currency, ...ids),
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

/** Everything the engine needs for these lines and codes, loaded in one D1 batch. */
export async function loadPricingRows(
  d1: D1Database,
  input: { customerId: string; currency: string; variantIds: string[]; productIds: string[]; categoryIds: string[]; codes: string[]; componentIds: string[] },
): Promise<PricingRows> {
  const s: Statements = { d1, ...input };
  const lists = listStatements(s);
  const [discountStmt, redemptionStmt] = discountStatements(s, input.customerId);
  const { ancestry, collections } = catalogStatements(s);
  const components = componentStatements(s);
  const user = d1.prepare("SELECT customer_group_id AS groupId FROM users WHERE id = ?").bind(input.customerId);
  const results = await d1.batch<Record<string, unknown>>([user, discountStmt!, redemptionStmt!, ...lists, ...ancestry, ...collections, ...components]);
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
    customerGroupId: (rows<{ groupId: string | null }>(0)[0]?.groupId ?? null),
    discounts: rows<Parsed>(1).map(parseDiscount),
    redemptions: new Map(rows<{ discountId: string; n: number }>(2).map((r) => [r.discountId, r.n])),
    priceLists: byId(at(3, listCount, 3) as PriceListRow[]),
    prices: at(3, listCount, 3, 1),
    priceListGroups: at(3, listCount, 3, 2),
    categoryParents: new Map((at(afterLists, ancestry.length) as { id: string; parentId: string | null }[]).map((r) => [r.id, r.parentId])),
    collectionsByProduct,
    variantPrices: new Map((at(afterLists + ancestry.length + collections.length, components.length) as { id: string; price: number }[]).map((r) => [r.id, r.price])),
  };
}
