/** D1 access for the address book: every statement is scoped to its owner. */
import type { Address, AddressInput } from "../markets/schemas";

type AddressRow = {
  id: string;
  first_name: string;
  last_name: string;
  line1: string;
  line2: string | null;
  city: string;
  postal_code: string;
  province: string | null;
  country_code: string;
  phone: string | null;
  created_at: number;
};

const COLUMNS = "id, first_name, last_name, line1, line2, city, postal_code, province, country_code, phone, created_at";

export const toAddress = (r: AddressRow): Address => ({
  id: r.id,
  firstName: r.first_name,
  lastName: r.last_name,
  line1: r.line1,
  line2: r.line2,
  city: r.city,
  postalCode: r.postal_code,
  province: r.province,
  countryCode: r.country_code,
  phone: r.phone,
});

/** A customer's addresses, newest first, after the (createdAt, id) cursor. */
export async function listAddresses(d1: D1Database, customerId: string, limit: number, after: { createdAt: number; id: string } | null) {
  const cursor = after ? "AND (created_at, id) < (?, ?)" : "";
  const { results } = await d1
    .prepare(`SELECT ${COLUMNS} FROM addresses WHERE customer_id = ? ${cursor} ORDER BY created_at DESC, id DESC LIMIT ?`)
    .bind(customerId, ...(after ? [after.createdAt, after.id] : []), limit)
    .all<AddressRow>();
  return results;
}

export async function findAddress(d1: D1Database, id: string, customerId: string): Promise<Address | null> {
  const row = await d1.prepare(`SELECT ${COLUMNS} FROM addresses WHERE id = ? AND customer_id = ?`).bind(id, customerId).first<AddressRow>();
  return row ? toAddress(row) : null;
}

export async function countAddresses(d1: D1Database, customerId: string): Promise<number> {
  return (await d1.prepare("SELECT COUNT(*) AS n FROM addresses WHERE customer_id = ?").bind(customerId).first<{ n: number }>())?.n ?? 0;
}

export async function insertAddress(d1: D1Database, id: string, customerId: string, a: AddressInput, now: number): Promise<Address> {
  const row = await d1
    .prepare(
      `INSERT INTO addresses (id, customer_id, first_name, last_name, line1, line2, city, postal_code, province, country_code, phone, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
    )
    .bind(id, customerId, a.firstName, a.lastName, a.line1, a.line2 ?? null, a.city, a.postalCode, a.province ?? null, a.countryCode, a.phone ?? null, now, now)
    .first<AddressRow>();
  return toAddress(row!);
}

/** Writes the merged address if the customer owns it; null when they do not. */
export async function updateAddress(d1: D1Database, id: string, customerId: string, a: Omit<Address, "id">, now: number): Promise<Address | null> {
  const row = await d1
    .prepare(
      `UPDATE addresses SET first_name = ?, last_name = ?, line1 = ?, line2 = ?, city = ?, postal_code = ?, province = ?, country_code = ?, phone = ?, updated_at = ?
       WHERE id = ? AND customer_id = ? RETURNING ${COLUMNS}`,
    )
    .bind(a.firstName, a.lastName, a.line1, a.line2, a.city, a.postalCode, a.province, a.countryCode, a.phone, now, id, customerId)
    .first<AddressRow>();
  return row ? toAddress(row) : null;
}

export async function deleteAddress(d1: D1Database, id: string, customerId: string): Promise<boolean> {
  return (await d1.prepare("DELETE FROM addresses WHERE id = ? AND customer_id = ? RETURNING id").bind(id, customerId).first()) !== null;
}
