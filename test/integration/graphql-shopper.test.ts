/**
 * The shopper's GraphQL fields act exactly like their REST twins, because they are the same
 * services: the cart GraphQL builds is the cart REST shows, a checkout key is idempotent across
 * both, payment and stock failures carry the REST codes, and each mutation counts against the
 * rate-limit policy of the REST route it stands for.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { clearInventoryAlarms, createVariant } from "../factories/commerce";
import { createDiscount } from "../factories/pricing";
import { FakeStripe } from "../fakes/stripe";
import { BASE, call, callWith, errorCodes, graphql, registerCustomer } from "../helpers";

afterAll(() => clearInventoryAlarms());

const CART = "id items { id variantId sku title quantity unitPrice { amount currency } lineTotal { amount currency } discount { amount currency } tax { amount currency } total { amount currency } bundleSelection { variantId quantity } } discounts { code amount { amount currency } } automaticDiscounts { title amount { amount currency } } inactiveCodes { code reason } totals { subtotal { amount currency } discount { amount currency } shipping { amount currency } tax { amount currency } total { amount currency } giftCard { amount currency } storeCredit { amount currency } amountDue { amount currency } } giftCards { last4 amount { amount currency } } usesStoreCredit region requiresShipping shippingAddress { id countryCode } shippingMethod { id name amount { amount currency } estimatedDays }";
const CHECKOUT = "id state cartId orderId expiresAt totals { total { amount currency } } lines { variantId quantity }";

describe("cart mutations", () => {
  it("builds the same cart REST shows: add, add again, change, discount, remove", async () => {
    const shopper = await registerCustomer();
    const [a, b] = [await createVariant(10, 1500), await createVariant(10, 700)];
    const { code } = await createDiscount({ kind: "cart_fixed", value: 100 });
    const add = (variantId: string, quantity: number) =>
      graphql(`mutation($v: ID!, $q: Int!) { addToCart(variantId: $v, quantity: $q) { ${CART} } }`, { token: shopper.token, variables: { v: variantId, q: quantity } });

    expect((await add(a.id, 1)).json.data.addToCart.items).toHaveLength(1);
    const twice = await add(a.id, 2);
    expect(twice.json.data.addToCart.items[0]).toMatchObject({ variantId: a.id, quantity: 3 });
    const withB = await add(b.id, 1);
    const itemB = withB.json.data.addToCart.items.find((i: { variantId: string }) => i.variantId === b.id);
    const changed = await graphql(`mutation { updateCartItem(itemId: "${itemB.id}", quantity: 4) { items { variantId quantity } } }`, { token: shopper.token });
    expect(changed.json.data.updateCartItem.items.find((i: { variantId: string }) => i.variantId === b.id).quantity).toBe(4);
    const discounted = await graphql(`mutation { applyDiscount(code: "${code!.toLowerCase()}") { ${CART} } }`, { token: shopper.token });
    expect(discounted.json.data.applyDiscount.discounts).toEqual([{ code, amount: { amount: 100, currency: "USD" } }]);

    const rest = await call("GET", "/api/v1/store/cart", { token: shopper.token });
    const query = await graphql(`{ cart { ${CART} } }`, { token: shopper.token });
    expect(query.json.data.cart).toEqual(rest.json);
    expect(query.json.data.cart.totals.total.amount).toBe(1500 * 3 + 700 * 4 - 100);

    const removed = await graphql(`mutation { removeCartItem(itemId: "${itemB.id}") { items { variantId } } }`, { token: shopper.token });
    expect(removed.json.data.removeCartItem.items.map((i: { variantId: string }) => i.variantId)).toEqual([a.id]);
    const dropped = await graphql(`mutation { removeDiscount(code: "${code}") { discounts { code } } }`, { token: shopper.token });
    expect(dropped.json.data.removeDiscount.discounts).toEqual([]);
  });

  it("answers bad input with the REST rules: unknown variant NOT_FOUND, quantity 0 VALIDATION_ERROR naming the argument", async () => {
    const shopper = await registerCustomer();
    const unknown = await graphql(`mutation { addToCart(variantId: "var_nope", quantity: 1) { id } }`, { token: shopper.token });
    expect(errorCodes(unknown)).toEqual(["NOT_FOUND"]);
    expect(unknown.json.data).toBeNull();
    const zero = await graphql(`mutation { addToCart(variantId: "var_nope", quantity: 0) { id } }`, { token: shopper.token });
    expect(errorCodes(zero)).toEqual(["VALIDATION_ERROR"]);
    expect(zero.json.errors[0].extensions.details.issues).toEqual([expect.objectContaining({ path: "quantity" })]);
    const code = await graphql(`mutation { applyDiscount(code: "NOPE-${Date.now()}") { id } }`, { token: shopper.token });
    expect(errorCodes(code)).toEqual(["VALIDATION_ERROR"]);
    expect(code.json.errors[0].extensions.details.reason).toBe("unknown");
  });
});

describe("checkout and payment", () => {
  it("creates a checkout once per idempotency key, shared with REST, and refuses the key with other arguments", async () => {
    const shopper = await registerCustomer();
    await graphql(`mutation { addToCart(variantId: "${(await createVariant()).id}", quantity: 1) { id } }`, { token: shopper.token });
    const key = `gql-${Date.now()}`;
    const create = () => graphql(`mutation($k: String!) { createCheckout(idempotencyKey: $k) { ${CHECKOUT} } }`, { token: shopper.token, variables: { k: key } });
    const first = await create();
    expect(first.json.data.createCheckout.state).toBe("LOCKED");
    expect((await create()).json.data.createCheckout).toEqual(first.json.data.createCheckout);
    const rest = await call("POST", "/api/v1/store/checkouts", { token: shopper.token, headers: { "Idempotency-Key": key } });
    expect(rest.json.id).toBe(first.json.data.createCheckout.id);
    const other = await graphql(`mutation { createCheckout(idempotencyKey: "${key}", note: "leave at the door") { id } }`, { token: shopper.token });
    expect(errorCodes(other)).toEqual(["IDEMPOTENCY_CONFLICT"]);
  });

  it("answers INSUFFICIENT_INVENTORY with the lines short, as REST's 409 does", async () => {
    const shopper = await registerCustomer();
    const variant = await createVariant(1);
    await graphql(`mutation { addToCart(variantId: "${variant.id}", quantity: 2) { id } }`, { token: shopper.token });
    const res = await graphql(`mutation { createCheckout(idempotencyKey: "short-${Date.now()}") { id } }`, { token: shopper.token });
    expect(errorCodes(res)).toEqual(["INSUFFICIENT_INVENTORY"]);
    expect(res.json.errors[0].extensions.details.lines).toEqual([{ variantId: variant.id, requested: 2, available: 1 }]);
  });

  it("pays with the server's provider: a decline is PAYMENT_FAILED and can be retried, a success places the order", async () => {
    const shopper = await registerCustomer();
    const variant = await createVariant(5, 2500);
    await graphql(`mutation { addToCart(variantId: "${variant.id}", quantity: 2) { id } }`, { token: shopper.token });
    const checkout = (await graphql(`mutation { createCheckout(idempotencyKey: "pay-${Date.now()}") { id } }`, { token: shopper.token })).json.data.createCheckout;
    const pay = (token: string) => graphql(`mutation($id: ID!, $t: String!) { payCheckout(id: $id, token: $t) { ${CHECKOUT} } }`, { token: shopper.token, variables: { id: checkout.id, t: token } });

    expect(errorCodes(await pay("tok_unknown"))).toEqual(["VALIDATION_ERROR"]);
    const declined = await pay("tok_decline");
    expect(errorCodes(declined)).toEqual(["PAYMENT_FAILED"]);
    const paid = await pay("tok_success");
    expect(paid.json.data.payCheckout).toMatchObject({ state: "COMPLETED", orderId: expect.stringMatching(/^ord_/) });

    const orderId = paid.json.data.payCheckout.orderId;
    const read = await graphql(`query($id: ID!) { order(id: $id) { id orderNumber status lines { variantId sku title quantity unitPrice { amount currency } discount { amount currency } tax { amount currency } total { amount currency } } totals { total { amount currency } } region shippingAddress { id firstName lastName line1 line2 city postalCode province countryCode phone } shippingMethod { id name amount { amount currency } estimatedDays } createdAt events { status at } } checkout(id: "${checkout.id}") { state orderId } }`, {
      token: shopper.token,
      variables: { id: orderId },
    });
    const rest = await call("GET", `/api/v1/store/orders/${orderId}`, { token: shopper.token });
    const { refunds: _refunds, ...restOrder } = rest.json;
    expect(read.json.data.order).toEqual({ ...restOrder, totals: { total: rest.json.totals.total } });
    expect(read.json.data.checkout).toEqual({ state: "COMPLETED", orderId });
  });

  it("with a Stripe-compatible provider, payCheckout answers PAYMENT_PENDING with the client secret the browser confirms with", async () => {
    const stripe = new FakeStripe(env.PAYMENT_WEBHOOK_SECRET);
    const fetchSpy = stripe.install();
    try {
      const stripeEnv = { ...env, PAYMENT_PROVIDER: "stripe", PAYMENT_API_KEY: "sk_test_edgeshop" } as Env;
      const shopper = await registerCustomer();
      const variant = await createVariant(5, 2500);
      await graphql(`mutation { addToCart(variantId: "${variant.id}", quantity: 1) { id } }`, { token: shopper.token });
      const checkout = (await graphql(`mutation { createCheckout(idempotencyKey: "stripe-${Date.now()}") { id } }`, { token: shopper.token })).json.data.createCheckout;
      const paid = await callWith(stripeEnv, "POST", "/graphql", {
        token: shopper.token,
        body: { query: "mutation($id: ID!) { payCheckout(id: $id, token: \"unused\") { state orderId payment { clientSecret } } }", variables: { id: checkout.id } },
      });
      expect(paid.json.data.payCheckout).toEqual({ state: "PAYMENT_PENDING", orderId: null, payment: { clientSecret: expect.stringMatching(/_secret_/) } });
      // The same intent REST answers; reading the checkout later shows no secret.
      const rest = await callWith(stripeEnv, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: {} });
      expect(rest.json.payment.clientSecret).toBe(paid.json.data.payCheckout.payment.clientSecret);
      expect(stripe.intents.size).toBe(1);
      const read = await graphql(`{ checkout(id: "${checkout.id}") { state payment { clientSecret } } }`, { token: shopper.token });
      expect(read.json.data.checkout).toEqual({ state: "PAYMENT_PENDING", payment: null });
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it("lists the customer's own orders newest first, paging with cursors", async () => {
    const shopper = await registerCustomer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await graphql(`mutation { addToCart(variantId: "${(await createVariant()).id}", quantity: 1) { id } }`, { token: shopper.token });
      const c = (await graphql(`mutation { createCheckout(idempotencyKey: "list-${i}-${Date.now()}") { id } }`, { token: shopper.token })).json.data.createCheckout;
      ids.unshift((await graphql(`mutation { payCheckout(id: "${c.id}", token: "tok_success") { orderId } }`, { token: shopper.token })).json.data.payCheckout.orderId);
    }
    const page = await graphql("{ orders(first: 2) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }", { token: shopper.token });
    const { edges, pageInfo } = page.json.data.orders;
    expect(edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(ids.slice(0, 2));
    const rest = await call("GET", "/api/v1/store/orders?limit=2", { token: shopper.token });
    expect(pageInfo).toEqual({ hasNextPage: true, endCursor: rest.json.nextCursor });
    const next = await graphql(`{ orders(first: 2, after: "${pageInfo.endCursor}") { edges { node { id } } pageInfo { hasNextPage } } }`, { token: shopper.token });
    expect(next.json.data.orders.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(ids.slice(2));
  });
});

describe("rate limits", () => {
  const app = createApp();
  let ip = 0;
  async function send(vars: Record<string, string>, token: string, query: string, address: string) {
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`${BASE}/graphql`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`, "CF-Connecting-IP": address },
        body: JSON.stringify({ query }),
      }),
      { ...env, RATE_LIMIT_MULTIPLIER: "1", RATE_LIMIT_TIMEOUT_MS: "5000", ...vars },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return { status: res.status, headers: res.headers, json: (await res.json()) as any };
  }

  it("counts a cart mutation against the cart policy per user, each aliased call once, and answers 429 RATE_LIMITED beyond it", async () => {
    const shopper = await registerCustomer();
    const variant = await createVariant(50);
    const vars = { RATE_LIMIT_CART: "3/60", RATE_LIMIT_STORE_READ: "100/60" };
    const address = `203.0.113.${++ip}`;
    const one = await send(vars, shopper.token, `mutation { addToCart(variantId: "${variant.id}", quantity: 1) { id } }`, address);
    expect(one.headers.get("RateLimit-Policy")).toBe('"cart";q=3;w=60');
    const two = await send(vars, shopper.token, `mutation { a: addToCart(variantId: "${variant.id}", quantity: 1) { id } b: addToCart(variantId: "${variant.id}", quantity: 1) { id } }`, address);
    expect(two.status).toBe(200);
    const over = await send(vars, shopper.token, `mutation { addToCart(variantId: "${variant.id}", quantity: 1) { id } }`, address);
    expect(over.status).toBe(429);
    expect(over.json.errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", details: { policy: "cart" } });
    expect(Number(over.headers.get("Retry-After"))).toBeGreaterThan(0);
    // Reads are store reads, limited apart from cart writes.
    const read = await send(vars, shopper.token, "{ cart { items { quantity } } }", address);
    expect(read.status).toBe(200);
    expect(read.headers.get("RateLimit-Policy")).toBe('"storeRead";q=100;w=60');
    expect(read.json.data.cart.items[0].quantity).toBe(3);
  });

  it("counts checkout mutations against the checkout policy", async () => {
    const shopper = await registerCustomer();
    const res = await send({ RATE_LIMIT_CHECKOUT: "1/60" }, shopper.token, `mutation { createCheckout(idempotencyKey: "rl-${Date.now()}") { id } }`, `203.0.113.${++ip}`);
    expect(res.headers.get("RateLimit-Policy")).toBe('"checkout";q=1;w=60');
    const again = await send({ RATE_LIMIT_CHECKOUT: "1/60" }, shopper.token, `mutation { createCheckout(idempotencyKey: "rl2-${Date.now()}") { id } }`, `203.0.113.${++ip}`);
    expect(again.status).toBe(429);
  });
});
