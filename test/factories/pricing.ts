/** Pricing factories: customer groups, price lists and discounts inserted by SQL, as the seed does. */
import { env } from "cloudflare:test";
import { newId } from "../../src/lib/ids";
import { call } from "../helpers";

let counter = 0;
const unique = (label: string) => `${label}${Date.now().toString(36).toUpperCase()}${++counter}`;

/** A customer group, with the given users in it. */
export async function createGroup(...userIds: string[]): Promise<string> {
  const now = Date.now();
  const id = newId("cgrp", now);
  await env.DB.batch([
    env.DB.prepare("INSERT INTO customer_groups (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)").bind(id, unique("group-"), now, now),
    ...userIds.map((u) => env.DB.prepare("UPDATE users SET customer_group_id = ? WHERE id = ?").bind(id, u)),
  ]);
  return id;
}

/** An active price list for `groupIds` (none = everyone) with per-variant prices. */
export async function createPriceList(prices: Record<string, number>, groupIds: string[] = [], extra: { priority?: number; startsAt?: number | null; endsAt?: number | null } = {}) {
  const now = Date.now();
  const id = newId("pl", now);
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO price_lists (id, name, currency, priority, starts_at, ends_at, status, version, created_at, updated_at) VALUES (?, ?, 'USD', ?, ?, ?, 'active', 1, ?, ?)",
    ).bind(id, unique("list-"), extra.priority ?? 0, extra.startsAt ?? null, extra.endsAt ?? null, now, now),
    ...groupIds.map((g) => env.DB.prepare("INSERT INTO price_list_groups (price_list_id, customer_group_id) VALUES (?, ?)").bind(id, g)),
    ...Object.entries(prices).map(([variantId, amount]) =>
      env.DB.prepare("INSERT INTO price_list_prices (price_list_id, variant_id, amount) VALUES (?, ?, ?)").bind(id, variantId, amount),
    ),
  ]);
  return id;
}

export type DiscountSpec = {
  code?: string | null;
  kind: "percentage" | "fixed" | "buy_x_get_y" | "tiered" | "cart_percentage" | "cart_fixed";
  value?: number;
  rules?: Record<string, unknown>;
  automatic?: boolean;
  priority?: number;
  stackable?: boolean;
  startsAt?: number | null;
  endsAt?: number | null;
  usageLimit?: number | null;
  usageCount?: number;
  perCustomerLimit?: number | null;
};

/** A discount; a coded one gets a unique upper-case code unless one is given. Answers id and code. */
export async function createDiscount(spec: DiscountSpec): Promise<{ id: string; code: string | null }> {
  const now = Date.now();
  const id = newId("disc", now);
  const code = spec.automatic ? (spec.code ?? null) : (spec.code ?? unique("CODE"));
  await env.DB.prepare(
    `INSERT INTO discounts (id, code, title, kind, value, rules, is_automatic, priority, stackable, starts_at, ends_at,
       usage_limit, usage_count, per_customer_limit, status, version, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', 1, ?, ?)`,
  )
    .bind(
      id, code, `Discount ${id}`, spec.kind, spec.value ?? 0, JSON.stringify(spec.rules ?? {}), spec.automatic ? 1 : 0,
      spec.priority ?? 0, spec.stackable === false ? 0 : 1, spec.startsAt ?? null, spec.endsAt ?? null,
      spec.usageLimit ?? null, spec.usageCount ?? 0, spec.perCustomerLimit ?? null, now, now,
    )
    .run();
  return { id, code };
}

/** Enters a code on the customer's cart over HTTP. */
export async function enterCode(token: string, code: string) {
  return call("POST", "/api/v1/store/cart/discounts", { token, body: { code } });
}
