/**
 * Buying in markets: the address book, the cart's shipping address and method, tax by place (and
 * extracted from gross prices in tax-inclusive regions), shipping in the totals, checkout refusing
 * goods to ship without an address and a method, orders keeping copies, a refund returning what
 * was charged (shipping included), emails in the order's language, and sales by market.
 */
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localOutbox } from "../../src/modules/notifications/providers";
import { deliverOutboxEmail } from "../../src/modules/notifications/service";
import { processOrderEvent } from "../../src/queues/order-events";
import { adminToken } from "../factories/catalog";
import { clearInventoryAlarms, createVariant } from "../factories/commerce";
import { ADDRESSES, pricedProduct, setupMarkets, type Markets } from "../factories/markets";
import { call, graphql, registerCustomer } from "../helpers";
import { amounts, goods, unpaid } from "../totals";

const STORE = "/api/v1/store";
let markets: Markets;

beforeAll(async () => {
  markets = await setupMarkets();
});
afterAll(() => clearInventoryAlarms());

type Shopper = Awaited<ReturnType<typeof registerCustomer>>;
const as = (shopper: Shopper, region?: string, language?: string) => {
  const headers: Record<string, string> = {};
  if (region) headers["X-Region"] = region;
  if (language) headers["Accept-Language"] = language;
  return (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => call(method, `${STORE}${path}`, { token: shopper.token, body, headers: { ...headers, ...extra } });
};

describe("the address book: /api/v1/store/addresses", () => {
  it("adds, lists, changes and removes the customer's addresses, validating country codes", async () => {
    const shopper = await registerCustomer();
    const api = as(shopper);
    expect((await api("POST", "/addresses", { ...ADDRESSES.berlin, countryCode: "XX" })).status).toBe(422);
    expect((await api("POST", "/addresses", { ...ADDRESSES.berlin, city: "" })).status).toBe(422);
    const created = await api("POST", "/addresses", { ...ADDRESSES.berlin, countryCode: "de" });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: expect.stringMatching(/^adr_/), countryCode: "DE", line2: null, province: null });
    await api("POST", "/addresses", ADDRESSES.paris);
    const list = await api("GET", "/addresses");
    expect(list.json.data.map((a: { city: string }) => a.city)).toEqual(["Paris", "Berlin"]);
    const changed = await api("PATCH", `/addresses/${created.json.id}`, { line2: "Hinterhaus", postalCode: "10115" });
    expect(changed.json).toMatchObject({ line2: "Hinterhaus", postalCode: "10115", city: "Berlin" });
    expect((await api("PATCH", `/addresses/${created.json.id}`, { countryCode: "ZZ" })).status).toBe(422);
    expect((await api("DELETE", `/addresses/${created.json.id}`)).status).toBe(204);
    expect((await api("GET", `/addresses/${created.json.id}`)).status).toBe(404);
  });
});

describe("shipping and tax in the cart", () => {
  it("taxes by the shipping place (a state's rate, shipping taxed only where the place taxes it) and lists the methods that fit", async () => {
    const shopper = await registerCustomer();
    const api = as(shopper, "US");
    const product = await pricedProduct({ USD: 2500 }, { weightGrams: 500 });
    const cart = await api("POST", "/cart/items", { variantId: product.variants[0].id, quantity: 1 });
    expect(cart.json).toMatchObject({ region: "US", requiresShipping: true, shippingAddress: null, shippingMethod: null });
    const methods = await api("GET", "/cart/shipping-methods");
    expect(methods.json).toEqual([
      { id: markets.methods.usStandard, name: "Standard", amount: { amount: 599, currency: "USD" }, estimatedDays: 5 },
      { id: markets.methods.usExpress, name: "Express", amount: { amount: 1200, currency: "USD" }, estimatedDays: 2 },
    ]);
    await api("PUT", "/cart/shipping-address", { address: ADDRESSES.newYork });
    const ny = await api("PUT", "/cart/shipping-method", { shippingMethodId: markets.methods.usStandard });
    // NY: 4 % on the goods and on shipping (599 × 4 % = 23.96 → 24).
    expect(amounts(ny.json.totals)).toEqual(unpaid({ subtotal: 2500, discount: 0, shipping: 599, tax: 100 + 24, total: 2500 + 599 + 124 }));
    expect(ny.json.shippingMethod).toEqual({ id: markets.methods.usStandard, name: "Standard", amount: { amount: 599, currency: "USD" }, estimatedDays: 5 });
    const book = await api("POST", "/addresses", ADDRESSES.losAngeles);
    const ca = await api("PUT", "/cart/shipping-address", { addressId: book.json.id });
    // CA: 7.25 % on the goods (181.25 → 181), shipping untaxed; the method stays chosen.
    expect(amounts(ca.json.totals)).toEqual(unpaid({ subtotal: 2500, discount: 0, shipping: 599, tax: 181, total: 2500 + 599 + 181 }));
    expect(ca.json.shippingAddress).toMatchObject({ id: book.json.id, city: "Los Angeles", province: "CA" });
  });

  it("charges weight methods by the table, drops one the cart is too heavy for, and ships free over the threshold", async () => {
    const shopper = await registerCustomer();
    const api = as(shopper, "US");
    const product = await pricedProduct({ USD: 2500 }, { weightGrams: 500, stock: 50 });
    await api("POST", "/cart/items", { variantId: product.variants[0].id, quantity: 3 });
    await api("PUT", "/cart/shipping-address", { address: ADDRESSES.losAngeles });
    const options = async () => Object.fromEntries((await api("GET", "/cart/shipping-methods")).json.map((m: { id: string; amount: { amount: number } }) => [m.id, m.amount.amount]));
    // 3 × 2500 = 7500 reaches Standard's free-over threshold; 1.5 kg is Express's second row.
    expect(await options()).toEqual({ [markets.methods.usStandard]: 0, [markets.methods.usExpress]: 2000 });
    const express = await api("PUT", "/cart/shipping-method", { shippingMethodId: markets.methods.usExpress });
    expect(express.json.totals.shipping.amount).toBe(2000);
    const items = (await api("GET", "/cart")).json.items;
    await api("PATCH", `/cart/items/${items[0].id}`, { quantity: 11 });
    // 5.5 kg: past Express's table, so it is no longer offered nor charged.
    expect(await options()).toEqual({ [markets.methods.usStandard]: 0 });
    const heavy = await api("GET", "/cart");
    expect(heavy.json.shippingMethod).toBeNull();
    expect(heavy.json.totals.shipping.amount).toBe(0);
    expect((await api("PUT", "/cart/shipping-method", { shippingMethodId: markets.methods.usExpress })).status).toBe(422);
    expect((await api("PUT", "/cart/shipping-method", { shippingMethodId: markets.methods.euStandard })).status).toBe(422);
  });

  it("refuses an address outside the cart's region, and a variant with no price in its currency (422)", async () => {
    const shopper = await registerCustomer();
    const api = as(shopper, "UK");
    const product = await pricedProduct({ USD: 1000, EUR: 900 });
    const refused = await api("POST", "/cart/items", { variantId: product.variants[0].id, quantity: 1 });
    expect(refused.status).toBe(422);
    expect(refused.json.error.details.issues[0]).toMatchObject({ path: "variantId" });
    const sold = await pricedProduct({ USD: 1000, GBP: 800 });
    await api("POST", "/cart/items", { variantId: sold.variants[0].id, quantity: 1 });
    const outside = await api("PUT", "/cart/shipping-address", { address: ADDRESSES.berlin });
    expect(outside.status).toBe(422);
    expect(outside.json.error.details.issues[0].path).toBe("address.countryCode");
  });

  it("checks a written-out address against the region the cart prices in after a move, and writes nothing it refuses", async () => {
    const shopper = await registerCustomer();
    const product = await pricedProduct({ USD: 1000, EUR: 950 });
    await as(shopper, "US")("POST", "/cart/items", { variantId: product.variants[0].id, quantity: 1 });
    // The US cart moves to EU with this request, so EU's countries decide: Berlin is accepted.
    const moved = await as(shopper, "EU")("PUT", "/cart/shipping-address", { address: ADDRESSES.berlin });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ region: "EU", shippingAddress: { city: ADDRESSES.berlin.city, countryCode: "DE" } });
    // Named back to US, the cart moves there (dropping the Berlin address US does not sell to), and US's countries refuse Berlin.
    const refused = await as(shopper, "US")("PUT", "/cart/shipping-address", { address: ADDRESSES.berlin });
    expect(refused.status).toBe(422);
    expect(refused.json.error.message).toContain("Region US does not sell to DE");
    // Without a region named the cart keeps its own (US now): still refused, and nothing was written.
    expect((await as(shopper)("PUT", "/cart/shipping-address", { address: ADDRESSES.berlin }, { "CF-IPCountry": "DE" })).status).toBe(422);
    const cart = await as(shopper)("GET", "/cart");
    expect(cart.json).toMatchObject({ region: "US", shippingAddress: null });
    const accepted = await as(shopper)("PUT", "/cart/shipping-address", { address: ADDRESSES.newYork }, { "CF-IPCountry": "DE" });
    expect(accepted.json).toMatchObject({ region: "US", shippingAddress: { countryCode: "US" } });
  });

  it("moves a cart to the region a request names: its currency, no method, and without what is not sold there", async () => {
    const shopper = await registerCustomer();
    const us = as(shopper, "US");
    const both = await pricedProduct({ USD: 1000, EUR: 950 });
    const usOnly = await pricedProduct({ USD: 2000 });
    await us("POST", "/cart/items", { variantId: both.variants[0].id, quantity: 1 });
    await us("POST", "/cart/items", { variantId: usOnly.variants[0].id, quantity: 1 });
    await us("PUT", "/cart/shipping-address", { address: ADDRESSES.newYork });
    await us("PUT", "/cart/shipping-method", { shippingMethodId: markets.methods.usStandard });
    // Without a region named, a cart keeps its own, whatever the request's country.
    const kept = await as(shopper)("GET", "/cart", undefined, { "CF-IPCountry": "DE" });
    expect(kept.headers.get("X-Region")).toBe("US");
    expect(kept.json.totals.subtotal).toEqual({ amount: 3000, currency: "USD" });
    const moved = await as(shopper, "EU")("GET", "/cart");
    expect(moved.headers.get("X-Region")).toBe("EU");
    expect(moved.json).toMatchObject({ region: "EU", shippingAddress: null, shippingMethod: null });
    expect(moved.json.items.map((i: { variantId: string; unitPrice: unknown }) => [i.variantId, i.unitPrice])).toEqual([[both.variants[0].id, { amount: 950, currency: "EUR" }]]);
  });
});

describe("checkout and orders in markets", () => {
  it("refuses goods to ship without an address, then without a method (422), and needs neither for goods nobody ships", async () => {
    const shopper = await registerCustomer();
    const api = as(shopper, "US");
    const product = await pricedProduct({ USD: 1200 });
    await api("POST", "/cart/items", { variantId: product.variants[0].id, quantity: 1 });
    const checkout = () => api("POST", "/checkouts", undefined, { "Idempotency-Key": crypto.randomUUID() });
    const noAddress = await checkout();
    expect(noAddress.status).toBe(422);
    expect(noAddress.json.error.details.issues).toEqual([expect.objectContaining({ path: "shippingAddress" })]);
    await api("PUT", "/cart/shipping-address", { address: ADDRESSES.newYork });
    const noMethod = await checkout();
    expect(noMethod.status).toBe(422);
    expect(noMethod.json.error.details.issues).toEqual([expect.objectContaining({ path: "shippingMethod" })]);

    const digital = await registerCustomer();
    const download = await createVariant(5, 900);
    const cart = await as(digital, "US")("POST", "/cart/items", { variantId: download.id, quantity: 1 });
    expect(cart.json.requiresShipping).toBe(false);
    const locked = await as(digital, "US")("POST", "/checkouts", undefined, { "Idempotency-Key": crypto.randomUUID() });
    expect(locked.status).toBe(201);
    expect(locked.json).toMatchObject({ shippingAddress: null, shippingMethod: null, totals: { shipping: { amount: 0 } } });
  });

  it("buys in the EU: gross prices with VAT extracted, shipping taxed, totals adding up on cart, checkout, payment and order; the order keeps copies; a refund returns it all", async () => {
    const shopper = await registerCustomer();
    const api = as(shopper, "EU", "de-DE");
    const product = await pricedProduct({ USD: 2600, EUR: 2380 }, { weightGrams: 400 });
    await api("POST", "/cart/items", { variantId: product.variants[0].id, quantity: 2 });
    const entry = await api("POST", "/addresses", ADDRESSES.berlin);
    await api("PUT", "/cart/shipping-address", { addressId: entry.json.id });
    const cart = await api("PUT", "/cart/shipping-method", { shippingMethodId: markets.methods.euStandard });
    // 2 × 23.80 € gross; 19 % inside: 4760 × 19/119 = 760. Shipping 4.90 € gross, 19 % inside: 78.
    expect(amounts(cart.json.totals)).toEqual(unpaid({ subtotal: 4760, discount: 0, shipping: 490, tax: 760 + 78, total: 4760 + 490 }));
    expect(cart.json.items[0]).toMatchObject({ unitPrice: { amount: 2380, currency: "EUR" }, tax: { amount: 760, currency: "EUR" } });

    const checkout = await api("POST", "/checkouts", undefined, { "Idempotency-Key": crypto.randomUUID() });
    expect(checkout.status).toBe(201);
    expect(checkout.headers.get("X-Region")).toBe("EU");
    expect(checkout.json.totals).toEqual(cart.json.totals);
    expect(checkout.json).toMatchObject({ region: "EU", shippingMethod: { id: markets.methods.euStandard, amount: { amount: 490, currency: "EUR" } }, shippingAddress: { city: "Berlin" } });
    const paid = await api("POST", `/checkouts/${checkout.json.id}/payment`, { provider: "test", token: "tok_success" });
    expect(paid.json.state).toBe("COMPLETED");
    const payment = await env.DB.prepare("SELECT amount, currency FROM payments WHERE checkout_id = ? AND status = 'succeeded'").bind(checkout.json.id).first();
    expect(payment).toEqual({ amount: 5250, currency: "EUR" });

    const orderId = paid.json.orderId as string;
    await api("PATCH", `/addresses/${entry.json.id}`, { line1: "Somewhere else 9" });
    const order = await api("GET", `/orders/${orderId}`);
    expect(amounts(order.json.totals)).toEqual(goods(amounts(cart.json.totals)));
    expect(order.json).toMatchObject({ region: "EU", shippingAddress: { line1: "Unter den Linden 1", countryCode: "DE" }, shippingMethod: { name: "Standard", amount: { amount: 490, currency: "EUR" } } });
    const lines = order.json.lines as { total: { amount: number } }[];
    expect(lines.reduce((s, l) => s + l.total.amount, 0) + order.json.totals.shipping.amount).toBe(order.json.totals.total.amount);

    // The confirmation email: amounts in euros, written as German writes them.
    await processOrderEvent(env, { type: "order.placed", orderId });
    const row = await env.DB.prepare("SELECT id FROM email_outbox WHERE dedupe_key = ?").bind(`order_confirmation:${orderId}`).first<{ id: string }>();
    await deliverOutboxEmail(env, row!.id);
    const email = localOutbox.find((e) => e.idempotencyKey === row!.id)!;
    expect(email.text.replace(/\u00a0/g, " ")).toContain("Gesamt: 52,50 €");
    expect(email.text.replace(/\u00a0/g, " ")).toContain("Versand: 4,90 €");

    const refunded = await call("POST", `/api/v1/admin/orders/${orderId}/refund`, { token: await adminToken(), body: {} });
    expect(refunded.json.refunds).toEqual([expect.objectContaining({ amount: { amount: 5250, currency: "EUR" }, status: "succeeded" })]);
  });

  it("reports sales per region and currency, never adding currencies together", async () => {
    const before = await call("GET", "/api/v1/admin/analytics/sales-by-market", { token: await adminToken() });
    const buy = async (region: string, address: object, methodId: string, prices: { USD: number; EUR?: number; GBP?: number }) => {
      const shopper = await registerCustomer();
      const api = as(shopper, region);
      const product = await pricedProduct(prices);
      await api("POST", "/cart/items", { variantId: product.variants[0].id, quantity: 1 });
      await api("PUT", "/cart/shipping-address", { address });
      await api("PUT", "/cart/shipping-method", { shippingMethodId: methodId });
      const checkout = await api("POST", "/checkouts", undefined, { "Idempotency-Key": crypto.randomUUID() });
      const paid = await api("POST", `/checkouts/${checkout.json.id}/payment`, { provider: "test", token: "tok_success" });
      return (await api("GET", `/orders/${paid.json.orderId}`)).json;
    };
    const uk = await buy("UK", ADDRESSES.london, markets.methods.ukStandard, { USD: 2500, GBP: 1999 });
    // 19.99 £ and 3.95 £ shipping, 20 % VAT inside both: 333 + 66.
    expect(amounts(uk.totals)).toEqual({ subtotal: 1999, discount: 0, shipping: 395, tax: 333 + 66, total: 2394 });
    const us = await buy("US", ADDRESSES.newYork, markets.methods.usStandard, { USD: 2500 });
    expect(amounts(us.totals)).toEqual({ subtotal: 2500, discount: 0, shipping: 599, tax: 124, total: 3223 });
    const after = await call("GET", "/api/v1/admin/analytics/sales-by-market", { token: await adminToken() });
    const row = (report: typeof after, region: string) => report.json.data.find((r: { region: string }) => r.region === region) ?? { orders: 0, revenue: { amount: 0 }, shipping: { amount: 0 }, tax: { amount: 0 } };
    expect(row(after, "UK").orders - row(before, "UK").orders).toBe(1);
    expect(row(after, "UK").revenue).toEqual({ amount: row(before, "UK").revenue.amount + 2394, currency: "GBP" });
    expect(row(after, "UK").shipping.amount - row(before, "UK").shipping.amount).toBe(395);
    expect(row(after, "US").revenue).toEqual({ amount: row(before, "US").revenue.amount + 3223, currency: "USD" });
  });

  it("ships through GraphQL as through REST: address, methods, method, checkout in the region X-Region names", async () => {
    const shopper = await registerCustomer();
    const product = await pricedProduct({ USD: 3000, EUR: 2700 });
    const headers = { "X-Region": "EU" };
    const gql = (query: string, variables: Record<string, unknown> = {}) => graphql(query, { token: shopper.token, variables, headers });
    await gql(`mutation($v: ID!) { addToCart(variantId: $v, quantity: 1) { id } }`, { v: product.variants[0].id });
    const address = await gql(`mutation($a: AddressInput) { setShippingAddress(address: $a) { region shippingAddress { city countryCode } } }`, { a: ADDRESSES.paris });
    expect(address.json.data.setShippingAddress).toEqual({ region: "EU", shippingAddress: { city: "Paris", countryCode: "FR" } });
    const options = await gql(`{ shippingMethods { id name amount { amount currency } } }`);
    expect(options.json.data.shippingMethods).toEqual([{ id: markets.methods.euStandard, name: "Standard", amount: { amount: 490, currency: "EUR" } }]);
    const chosen = await gql(`mutation($m: ID!) { setShippingMethod(shippingMethodId: $m) { totals { shipping { amount } tax { amount } total { amount currency } } } }`, { m: markets.methods.euStandard });
    // FR: 20 % inside 27.00 € (450) and inside 4.90 € (81.67 → 82).
    expect(chosen.json.data.setShippingMethod.totals).toEqual({ shipping: { amount: 490 }, tax: { amount: 450 + 82 }, total: { amount: 3190, currency: "EUR" } });
    const checkout = await gql(`mutation($k: String!) { createCheckout(idempotencyKey: $k) { region totals { total { amount } } shippingMethod { name } } }`, { k: crypto.randomUUID() });
    expect(checkout.json.data.createCheckout).toEqual({ region: "EU", totals: { total: { amount: 3190 } }, shippingMethod: { name: "Standard" } });
  });
});
