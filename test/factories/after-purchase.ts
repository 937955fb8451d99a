/** Factories for returns, gift cards and store credit: fast customers, issued cards, delivered orders. */
import { env, runInDurableObject } from "cloudflare:test";
import { newId } from "../../src/lib/ids";
import { signAccessToken } from "../../src/modules/auth/tokens";
import { call } from "../helpers";
import { addToCart, pay, startCheckout } from "./commerce";

/** Accounts (gift cards, store credit) whose objects this file touched, so their alarms can be cleared. */
const accounts = new Set<string>();

/** A customer inserted directly (no password hashing), with a signed access token. */
export async function quickCustomer(label = "shopper") {
  const now = Date.now();
  const userId = newId("usr", now);
  const email = `${label}-${userId.toLowerCase()}@example.test`;
  await env.DB.prepare("INSERT INTO users (id, email, password_hash, name, role, marketing_opt_in, created_at, updated_at) VALUES (?, ?, 'x', 'Shopper', 'CUSTOMER', 0, ?, ?)")
    .bind(userId, email, now, now)
    .run();
  return { userId, email, token: await signAccessToken(env.JWT_SECRET, { userId, role: "CUSTOMER" }, 3600) };
}

export async function quickAdmin() {
  const now = Date.now();
  const userId = newId("usr", now);
  await env.DB.prepare("INSERT INTO users (id, email, password_hash, name, role, marketing_opt_in, created_at, updated_at) VALUES (?, ?, 'x', 'Admin', 'ADMIN', 0, ?, ?)")
    .bind(userId, `admin-${userId.toLowerCase()}@example.test`, now, now)
    .run();
  return { userId, token: await signAccessToken(env.JWT_SECRET, { userId, role: "ADMIN" }, 3600) };
}

/** Issues a gift card over HTTP; answers its id and its code (shown once). */
export async function issueGiftCard(adminToken: string, amount: number, extra: { currency?: string; expiresAt?: string } = {}) {
  const res = await call("POST", "/api/v1/admin/gift-cards", { token: adminToken, body: { amount, currency: extra.currency ?? "USD", ...(extra.expiresAt ? { expiresAt: extra.expiresAt } : {}) } });
  if (res.status !== 201) throw new Error(`issue gift card: ${res.status} ${res.text}`);
  accounts.add(res.json.id);
  return { id: res.json.id as string, code: res.json.code as string };
}

export async function applyCard(token: string, code: string) {
  return call("POST", "/api/v1/store/cart/gift-cards", { token, body: { code } });
}

export function balanceStub(accountId: string) {
  accounts.add(accountId);
  return env.GIFT_CARDS.get(env.GIFT_CARDS.idFromName(accountId));
}

/** The account's rows inside its object: the account and every hold. */
export async function balanceLedger(accountId: string) {
  return runInDurableObject(balanceStub(accountId), (_o, state) => ({
    account: state.storage.sql.exec<{ issued: number; balance: number; held: number }>("SELECT issued, balance, held FROM account").toArray()[0] ?? null,
    holds: state.storage.sql.exec<{ checkout_id: string; amount: number; status: string; captured: number; returned: number }>("SELECT checkout_id, amount, status, captured, returned FROM holds").toArray(),
  }));
}

export async function clearBalanceAlarms() {
  for (const id of [...accounts]) await runInDurableObject(balanceStub(id), (_o, state) => state.storage.deleteAlarm());
  accounts.clear();
}

/** Buys `quantity` of each variant with the test provider (after `beforePay`, e.g. applying a card); answers the checkout and the order. */
export async function buy(customer: { token: string }, lines: { variantId: string; quantity: number }[], beforePay?: () => Promise<unknown>) {
  for (const l of lines) await addToCart(customer.token, l.variantId, l.quantity);
  if (beforePay) await beforePay();
  const checkout = await startCheckout(customer.token);
  if (checkout.status !== 201) throw new Error(`checkout: ${checkout.status} ${checkout.text}`);
  const paid = await pay(customer.token, checkout.json.id);
  if (paid.status !== 200 || paid.json.state !== "COMPLETED") throw new Error(`payment: ${paid.status} ${paid.text}`);
  return { checkout: checkout.json, orderId: paid.json.orderId as string };
}

/** Moves an order to delivered the way admins do (pending → processing → shipped → delivered). */
export async function deliver(adminToken: string, orderId: string) {
  for (const status of ["processing", "shipped", "delivered"]) {
    const res = await call("POST", `/api/v1/admin/orders/${orderId}/status`, { token: adminToken, body: { status } });
    if (res.status !== 200) throw new Error(`order to ${status}: ${res.status} ${res.text}`);
  }
}
