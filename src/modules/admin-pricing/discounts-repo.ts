/** D1 access for discounts; writes are versioned, usage_count is only ever changed by checkouts. */
import type { DiscountKind } from "../pricing/schemas";

export type DiscountRow = {
  id: string;
  code: string | null;
  title: string;
  kind: DiscountKind;
  value: number;
  rules: string;
  is_automatic: number;
  priority: number;
  stackable: number;
  starts_at: number | null;
  ends_at: number | null;
  usage_limit: number | null;
  usage_count: number;
  per_customer_limit: number | null;
  status: "active" | "inactive";
  version: number;
  created_at: number;
  updated_at: number;
};
export type DiscountFields = Omit<DiscountRow, "id" | "usage_count" | "version" | "created_at" | "updated_at">;

const COLUMNS = `id, code, title, kind, value, rules, is_automatic, priority, stackable, starts_at, ends_at, usage_limit,
  usage_count, per_customer_limit, status, version, created_at, updated_at`;
const EDITABLE = ["code", "title", "kind", "value", "rules", "is_automatic", "priority", "stackable", "starts_at", "ends_at", "usage_limit", "per_customer_limit", "status"] as const;

const valuesOf = (f: DiscountFields) => EDITABLE.map((k) => f[k]);

export function findDiscount(d1: D1Database, id: string) {
  return d1.prepare(`SELECT ${COLUMNS} FROM discounts WHERE id = ? AND deleted_at IS NULL`).bind(id).first<DiscountRow>();
}

export async function listDiscounts(d1: D1Database, after: string | null, limit: number) {
  const { results } = await d1
    .prepare(`SELECT ${COLUMNS} FROM discounts WHERE deleted_at IS NULL AND (?1 IS NULL OR id < ?1) ORDER BY id DESC LIMIT ?2`)
    .bind(after, limit)
    .all<DiscountRow>();
  return results;
}

export async function insertDiscount(d1: D1Database, id: string, f: DiscountFields, now: number) {
  await d1
    .prepare(
      `INSERT INTO discounts (id, ${EDITABLE.join(", ")}, usage_count, version, created_at, updated_at)
       VALUES (?, ${EDITABLE.map(() => "?").join(", ")}, 0, 1, ?, ?)`,
    )
    .bind(id, ...valuesOf(f), now, now)
    .run();
}

/** Writes the fields at the expected version; false when the row is at another version (or gone). */
export async function updateDiscount(d1: D1Database, id: string, expected: number, f: DiscountFields, now: number): Promise<boolean> {
  const result = await d1
    .prepare(
      `UPDATE discounts SET ${EDITABLE.map((k) => `${k} = ?`).join(", ")}, version = version + 1, updated_at = ?
       WHERE id = ? AND version = ? AND deleted_at IS NULL`,
    )
    .bind(...valuesOf(f), now, id, expected)
    .run();
  return result.meta.changes === 1;
}

/** Soft delete; the code is freed (set aside with the id) so it can be used again. */
export async function softDelete(d1: D1Database, id: string, now: number): Promise<boolean> {
  const result = await d1
    .prepare(
      `UPDATE discounts SET deleted_at = ?, status = 'inactive', code = CASE WHEN code IS NULL THEN NULL ELSE code || '~' || id END,
         version = version + 1, updated_at = ? WHERE id = ? AND deleted_at IS NULL`,
    )
    .bind(now, now, id)
    .run();
  return result.meta.changes === 1;
}
