/** D1 access for price lists with their groups and per-variant prices; writes are versioned. */
export type PriceListRow = {
  id: string;
  name: string;
  currency: string;
  priority: number;
  starts_at: number | null;
  ends_at: number | null;
  status: "active" | "inactive";
  version: number;
  created_at: number;
  updated_at: number;
};
export type ListFields = Omit<PriceListRow, "id" | "version" | "created_at" | "updated_at">;

const COLUMNS = "id, name, currency, priority, starts_at, ends_at, status, version, created_at, updated_at";

export function findList(d1: D1Database, id: string) {
  return d1.prepare(`SELECT ${COLUMNS} FROM price_lists WHERE id = ? AND deleted_at IS NULL`).bind(id).first<PriceListRow>();
}

export async function listLists(d1: D1Database, after: string | null, limit: number) {
  const { results } = await d1
    .prepare(`SELECT ${COLUMNS} FROM price_lists WHERE deleted_at IS NULL AND (?1 IS NULL OR id < ?1) ORDER BY id DESC LIMIT ?2`)
    .bind(after, limit)
    .all<PriceListRow>();
  return results;
}

/** Groups and prices of up to 90 lists, in one batch. */
export async function membersOf(d1: D1Database, ids: string[]) {
  if (ids.length === 0) return { groups: [], prices: [] };
  const marks = ids.map(() => "?").join(", ");
  const [groups, prices] = await d1.batch([
    d1.prepare(`SELECT price_list_id AS listId, customer_group_id AS groupId FROM price_list_groups WHERE price_list_id IN (${marks}) ORDER BY customer_group_id`).bind(...ids),
    d1.prepare(`SELECT price_list_id AS listId, variant_id AS variantId, amount FROM price_list_prices WHERE price_list_id IN (${marks}) ORDER BY variant_id`).bind(...ids),
  ]);
  return {
    groups: groups!.results as { listId: string; groupId: string }[],
    prices: prices!.results as { listId: string; variantId: string; amount: number }[],
  };
}

/**
 * Statements replacing the list's groups and/or prices, each guarded by the version and time the
 * write before them in the same batch gives the list: when that write found a stale version (the
 * list is at another writer's version and time), they change nothing.
 */
export function replaceMembers(
  d1: D1Database,
  id: string,
  version: number,
  now: number,
  groupIds: string[] | undefined,
  prices: { variantId: string; amount: number }[] | undefined,
) {
  const guard = "EXISTS (SELECT 1 FROM price_lists WHERE id = ? AND version = ? AND updated_at = ?)";
  const out: D1PreparedStatement[] = [];
  if (groupIds) {
    out.push(
      d1.prepare(`DELETE FROM price_list_groups WHERE price_list_id = ? AND ${guard}`).bind(id, id, version, now),
      d1
        .prepare(`INSERT INTO price_list_groups (price_list_id, customer_group_id) SELECT DISTINCT ?, value FROM json_each(?) WHERE ${guard}`)
        .bind(id, JSON.stringify(groupIds), id, version, now),
    );
  }
  if (prices) {
    // One JSON parameter holds every price, so no statement nears D1's 100-parameter limit.
    const unique = [...new Map(prices.map((p) => [p.variantId, p.amount])).entries()];
    out.push(
      d1.prepare(`DELETE FROM price_list_prices WHERE price_list_id = ? AND ${guard}`).bind(id, id, version, now),
      d1
        .prepare(
          `INSERT INTO price_list_prices (price_list_id, variant_id, amount)
           SELECT ?, value ->> 0, value ->> 1 FROM json_each(?) WHERE ${guard}`,
        )
        .bind(id, JSON.stringify(unique), id, version, now),
    );
  }
  return out;
}

export function insertList(d1: D1Database, id: string, f: ListFields, now: number) {
  return d1
    .prepare(
      `INSERT INTO price_lists (id, name, currency, priority, starts_at, ends_at, status, version, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
    )
    .bind(id, f.name, f.currency, f.priority, f.starts_at, f.ends_at, f.status, now, now);
}

/** The versioned update; the member statements that follow it in the batch are guarded by the new version. */
export function updateList(d1: D1Database, id: string, expected: number, f: ListFields, now: number) {
  return d1
    .prepare(
      `UPDATE price_lists SET name = ?, currency = ?, priority = ?, starts_at = ?, ends_at = ?, status = ?,
         version = version + 1, updated_at = ? WHERE id = ? AND version = ? AND deleted_at IS NULL`,
    )
    .bind(f.name, f.currency, f.priority, f.starts_at, f.ends_at, f.status, now, id, expected);
}

export async function softDelete(d1: D1Database, id: string, now: number): Promise<boolean> {
  const result = await d1
    .prepare("UPDATE price_lists SET deleted_at = ?, version = version + 1, updated_at = ? WHERE id = ? AND deleted_at IS NULL")
    .bind(now, now, id)
    .run();
  return result.meta.changes === 1;
}
