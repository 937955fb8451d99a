// Pure mappers from stored rows to engine input, so every caller (cart, checkout, orders) builds
// the same input the same way. Loading the rows is the caller's job.
import type { discounts, priceListGroups, priceListPrices, priceLists } from "../../db/schema";
import type { DiscountInput, PriceListInput } from "./types";

type DiscountRow = typeof discounts.$inferSelect;
type PriceListRow = typeof priceLists.$inferSelect;
type PriceListGroupRow = typeof priceListGroups.$inferSelect;
type PriceListPriceRow = typeof priceListPrices.$inferSelect;

/** Engine input for usable discount rows (active, not deleted), with this customer's redemption counts. */
export function toDiscountInputs(rows: readonly DiscountRow[], customerUsage: ReadonlyMap<string, number>): DiscountInput[] {
  return rows
    .filter((row) => row.status === "active" && row.deletedAt === null)
    .map((row) => ({
      id: row.id,
      code: row.code,
      title: row.title,
      kind: row.kind,
      value: row.value,
      rules: row.rules,
      isAutomatic: row.isAutomatic,
      priority: row.priority,
      stackable: row.stackable,
      startsAt: row.startsAt,
      endsAt: row.endsAt,
      usageLimit: row.usageLimit,
      usageCount: row.usageCount,
      perCustomerLimit: row.perCustomerLimit,
      customerUsageCount: customerUsage.get(row.id) ?? 0,
    }));
}

/** Engine input for usable price lists (active, not deleted) with their groups and prices. */
export function toPriceListInputs(
  lists: readonly PriceListRow[],
  groups: readonly PriceListGroupRow[],
  prices: readonly PriceListPriceRow[],
): PriceListInput[] {
  return lists
    .filter((list) => list.status === "active" && list.deletedAt === null)
    .map((list) => ({
      id: list.id,
      priority: list.priority,
      groupIds: groups.filter((g) => g.priceListId === list.id).map((g) => g.customerGroupId),
      startsAt: list.startsAt,
      endsAt: list.endsAt,
      currency: list.currency,
      prices: Object.fromEntries(prices.filter((p) => p.priceListId === list.id).map((p) => [p.variantId, p.amount])),
    }));
}

/** A category and all its ancestors, nearest first; stops on a cycle or a missing parent. */
export function categoryAncestry(categoryId: string | null, parentOf: ReadonlyMap<string, string | null>): string[] {
  const chain: string[] = [];
  for (let id = categoryId; id !== null && !chain.includes(id); id = parentOf.get(id) ?? null) {
    chain.push(id);
  }
  return chain;
}
