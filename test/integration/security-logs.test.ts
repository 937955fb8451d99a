/**
 * Invariant: the log lines of a whole shopping flow hold no password, token, API key or email
 * address. FLOW is a list of steps sharing one state; each step records the secrets it saw, and
 * the scan looks for all of them (and for anything shaped like one) in every captured line.
 * The flow ends with a purchase whose confirmation email goes through the order-events and
 * email consumers, so their log lines are scanned too.
 */
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { deliverOutboxEmail } from "../../src/modules/notifications/service";
import { processOrderEvent } from "../../src/queues/order-events";
import { call, createAdmin, uniqueEmail } from "../helpers";

type FlowState = { email: string; password: string; accessToken?: string; refreshToken?: string; adminToken?: string; secrets: Set<string> };
type Step = { name: string; run: (s: FlowState) => Promise<void> };

function keep(s: FlowState, ...values: Array<string | undefined>) {
  for (const v of values) if (v) s.secrets.add(v);
}
async function expectStatus(res: Promise<{ status: number; text: string }>, status: number) {
  const r = await res;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status} ${r.text}`);
  return r as Awaited<ReturnType<typeof call>>;
}

const FLOW: Step[] = [
  { name: "register", run: async (s) => {
    const r = await expectStatus(call("POST", "/api/v1/auth/register", { body: { email: s.email, password: s.password, name: "Log Scan" } }), 201);
    keep(s, r.json.accessToken, r.json.refreshToken);
  } },
  { name: "login with a wrong password", run: async (s) => {
    await expectStatus(call("POST", "/api/v1/auth/login", { body: { email: s.email, password: "wrong-password-123" } }), 401);
    keep(s, "wrong-password-123");
  } },
  { name: "login", run: async (s) => {
    const r = await expectStatus(call("POST", "/api/v1/auth/login", { body: { email: s.email, password: s.password } }), 200);
    s.accessToken = r.json.accessToken;
    s.refreshToken = r.json.refreshToken;
    keep(s, s.accessToken, s.refreshToken);
  } },
  { name: "refresh", run: async (s) => {
    const r = await expectStatus(call("POST", "/api/v1/auth/refresh", { body: { refreshToken: s.refreshToken } }), 200);
    s.accessToken = r.json.accessToken;
    s.refreshToken = r.json.refreshToken;
    keep(s, s.accessToken, s.refreshToken);
  } },
  { name: "me", run: async (s) => void (await expectStatus(call("GET", "/api/v1/auth/me", { token: s.accessToken }), 200)) },
  { name: "me with a forged token", run: async (s) => {
    keep(s, `${s.accessToken}x`);
    await expectStatus(call("GET", "/api/v1/auth/me", { token: `${s.accessToken}x` }), 401);
  } },
  { name: "forgot and reset password", run: async (s) => {
    await expectStatus(call("POST", "/api/v1/auth/password/forgot", { body: { email: s.email } }), 202);
    const row = await env.DB.prepare("SELECT payload FROM email_outbox WHERE to_address = ?").bind(s.email).first<{ payload: string }>();
    const token = JSON.parse(row!.payload).token as string;
    s.password = "a-new-secret-password";
    keep(s, token, s.password);
    await expectStatus(call("POST", "/api/v1/auth/password/reset", { body: { token, password: s.password } }), 204);
  } },
  { name: "logout", run: async (s) => {
    const r = await expectStatus(call("POST", "/api/v1/auth/login", { body: { email: s.email, password: s.password } }), 200);
    keep(s, r.json.accessToken, r.json.refreshToken);
    await expectStatus(call("POST", "/api/v1/auth/logout", { body: { refreshToken: r.json.refreshToken } }), 204);
  } },
  { name: "admin creates, uses and revokes an API key", run: async (s) => {
    const admin = await createAdmin();
    keep(s, admin.token, admin.password, admin.email);
    const created = await expectStatus(call("POST", "/api/v1/admin/api-keys", { token: admin.token, body: { name: "logs", scopes: ["api-keys:read"] } }), 201);
    keep(s, created.json.key);
    await expectStatus(call("GET", "/api/v1/admin/api-keys", { apiKey: created.json.key }), 200);
    await expectStatus(call("DELETE", `/api/v1/admin/api-keys/${created.json.id}`, { token: admin.token }), 204);
    await expectStatus(call("GET", "/api/v1/admin/api-keys", { apiKey: created.json.key }), 401);
  } },
  { name: "shop: address book, cart, shipping, checkout, payment, order, confirmation email", run: async (s) => {
    const admin = await createAdmin();
    keep(s, admin.token, admin.password, admin.email);
    await expectStatus(call("POST", "/api/v1/admin/regions", { token: admin.token, body: { code: "LOGS", name: "Logs", currency: "USD", countries: ["US"], isDefault: true } }), 201);
    const method = await expectStatus(call("POST", "/api/v1/admin/shipping-methods", { token: admin.token, body: { regionCode: "LOGS", name: "Post", amount: 500 } }), 201);
    const product = await expectStatus(call("POST", "/api/v1/admin/products", {
      token: admin.token,
      body: { title: "Log Scan Mug", status: "active", variants: [{ sku: `LOG-${Date.now()}`, title: "One", price: 1500, stock: 5, weightGrams: 400 }] },
    }), 201);
    const session = await expectStatus(call("POST", "/api/v1/auth/login", { body: { email: s.email, password: s.password } }), 200);
    keep(s, session.json.accessToken, session.json.refreshToken);
    const token = session.json.accessToken as string;
    // An address is personal data: none of it may reach a log line.
    const address = { firstName: "Grace", lastName: "Logscanlastname", line1: "77 Secretive Lane", city: "Hiddenville", postalCode: "90210", province: "CA", countryCode: "US", phone: "+1 555 0100 4242" };
    keep(s, address.lastName, address.line1, address.city, address.phone);
    const entry = await expectStatus(call("POST", "/api/v1/store/addresses", { token, body: address }), 201);
    await expectStatus(call("POST", "/api/v1/store/cart/items", { token, body: { variantId: product.json.variants[0].id, quantity: 1 } }), 201);
    await expectStatus(call("PUT", "/api/v1/store/cart/shipping-address", { token, body: { addressId: entry.json.id } }), 200);
    await expectStatus(call("PUT", "/api/v1/store/cart/shipping-method", { token, body: { shippingMethodId: method.json.id } }), 200);
    const checkout = await expectStatus(call("POST", "/api/v1/store/checkouts", { token, headers: { "Idempotency-Key": `logscan-${Date.now()}` } }), 201);
    const paid = await expectStatus(call("POST", `/api/v1/store/checkouts/${checkout.json.id}/payment`, { token, body: { provider: "test", token: "tok_success" } }), 200);
    await expectStatus(call("GET", `/api/v1/store/orders/${paid.json.orderId}`, { token }), 200);
    await processOrderEvent(env, { type: "order.placed", orderId: paid.json.orderId });
    const outbox = await env.DB.prepare("SELECT id FROM email_outbox WHERE dedupe_key = ?").bind(`order_confirmation:${paid.json.orderId}`).first<{ id: string }>();
    await deliverOutboxEmail(env, outbox!.id);
  } },
];

/** Shapes of secrets, in case a step forgot to record one. */
const SHAPES: Array<[string, RegExp]> = [
  ["email address", /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/],
  ["JWT", /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/],
  ["API key", /esk_[A-Za-z0-9_-]{8,}/],
  ["Authorization header", /Bearer\s/i],
];

describe("logs of a full flow", () => {
  it("contain no password, token, API key or email address", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a) ?? String(a))).join(" "));
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) => vi.spyOn(console, level).mockImplementation(capture));
    const state: FlowState = { email: uniqueEmail("logscan"), password: "first-secret-password", secrets: new Set() };
    keep(state, state.email, state.password);
    try {
      for (const step of FLOW) await step.run(state).catch((e: Error) => Promise.reject(new Error(`step "${step.name}": ${e.message}`)));
    } finally {
      for (const spy of spies) spy.mockRestore();
    }

    // The capture works: every request logged a line.
    expect(lines.filter((l) => l.includes('"event":"request"')).length).toBeGreaterThanOrEqual(FLOW.length);
    const leaks = lines.flatMap((line) => [
      ...[...state.secrets].filter((secret) => line.includes(secret)).map((secret) => `secret ${secret.slice(0, 6)}… in ${line.slice(0, 120)}`),
      ...SHAPES.filter(([, re]) => re.test(line)).map(([what]) => `${what} in ${line.slice(0, 120)}`),
    ]);
    expect(leaks).toEqual([]);
  });
});
