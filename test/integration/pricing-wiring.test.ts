import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids";
import { getCart } from "../../src/modules/cart/service";
import { priceCartForCustomer } from "../../src/modules/pricing/service";
import { addToCart, clearInventoryAlarms, createProduct, createVariant, pay, startCheckout } from "../factories/commerce";
import { createDiscount, createGroup, createPriceList, enterCode } from "../factories/pricing";
import { call, registerCustomer } from "../helpers";
import { amounts, goods, unpaid } from "../totals";

afterEach(() => clearInventoryAlarms());

const CART = "/api/v1/store/cart";

async function categoryChain(productId: string) {
  const now = Date.now();
  const parent = newId("cat", now);
  const child = newId("cat", now);
  await env.DB.batch([
    env.DB.prepare("INSERT INTO categories (id, parent_id, slug, name, created_at, updated_at) VALUES (?, NULL, ?, 'Parent', ?, ?)").bind(parent, `c-${parent}`.toLowerCase(), now, now),
    env.DB.prepare("INSERT INTO categories (id, parent_id, slug, name, created_at, updated_at) VALUES (?, ?, ?, 'Child', ?, ?)").bind(child, parent, `c-${child}`.toLowerCase(), now, now),
    env.DB.prepare("UPDATE products SET category_id = ? WHERE id = ?").bind(child, productId),
  ]);
  return { parent, child };
}

describe("GET /api/v1/store/cart: pricing", () => {
  it("prices a variant from the price list of the customer's group; other customers keep the catalog price", async () => {
    const member = await registerCustomer();
    const other = await registerCustomer();
    const v = await createVariant(10, 1000);
    await createPriceList({ [v.id]: 800 }, [await createGroup(member.userId)]);
    await addToCart(member.token, v.id, 2);
    await addToCart(other.token, v.id, 2);
    const mine = await call("GET", CART, { token: member.token });
    const theirs = await call("GET", CART, { token: other.token });
    expect(mine.json.items[0]).toMatchObject({ unitPrice: { amount: 800 }, lineTotal: { amount: 1600 } });
    expect(mine.json.totals.subtotal.amount).toBe(1600);
    expect(theirs.json.items[0].unitPrice.amount).toBe(1000);
  });

  it("shows an automatic discount in the cart totals, with tax on the discounted line", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant(10, 5000, 1000);
    await createDiscount({ kind: "percentage", value: 1000, automatic: true, rules: { productIds: [v.productId] } });
    const cart = await addToCart(token, v.id, 1);
    expect(amounts(cart.totals)).toEqual(unpaid({ subtotal: 5000, discount: 500, shipping: 0, tax: 450, total: 4950 }));
    expect(cart.automaticDiscounts).toEqual([{ title: expect.any(String), amount: { amount: 500, currency: "USD" } }]);
    expect(cart.items[0]).toMatchObject({ discount: { amount: 500 }, tax: { amount: 450 }, lineTotal: { amount: 4500 }, total: { amount: 4950 } });
  });

  it("applies a discount aimed at a parent category to products of its child categories, and one aimed at a collection", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant(10, 2000);
    const { parent } = await categoryChain(v.productId);
    const col = newId("col");
    await env.DB.batch([
      env.DB.prepare("INSERT INTO collections (id, slug, title, created_at, updated_at) VALUES (?, ?, 'Sale', 0, 0)").bind(col, `s-${col}`.toLowerCase()),
      env.DB.prepare("INSERT INTO product_collections (collection_id, product_id) VALUES (?, ?)").bind(col, v.productId),
    ]);
    await createDiscount({ kind: "fixed", value: 100, automatic: true, rules: { categoryIds: [parent] } });
    await createDiscount({ kind: "fixed", value: 50, automatic: true, rules: { collectionIds: [col] } });
    const cart = await addToCart(token, v.id, 2);
    expect(cart.totals.discount.amount).toBe(2 * 100 + 2 * 50);
  });

  it("prices tax-inclusive when PRICES_INCLUDE_TAX is true: the tax is the share inside the price", async () => {
    const customer = await registerCustomer();
    const v = await createVariant(10, 1100, 1000);
    await addToCart(customer.token, v.id, 1);
    const cart = await getCart({ ...env, PRICES_INCLUDE_TAX: "true" }, customer.userId);
    expect(amounts(cart.totals)).toEqual(unpaid({ subtotal: 1100, discount: 0, shipping: 0, tax: 100, total: 1100 }));
    const exclusive = await getCart(env, customer.userId);
    expect(amounts(exclusive.totals)).toEqual(unpaid({ subtotal: 1100, discount: 0, shipping: 0, tax: 110, total: 1210 }));
  });
});

describe("cart, checkout and order totals", () => {
  it("agree to the cent with a price list, a code, an automatic discount and tax; the order records each line and redemption", async () => {
    const customer = await registerCustomer();
    const { variants, productId } = await createProduct({ taxRateBps: 825, variants: [{ price: 1999 }, { price: 1250 }] });
    const [a, b] = variants as [typeof variants[0], typeof variants[0]];
    await createPriceList({ [a.id]: 1799 }, [await createGroup(customer.userId)]);
    const code = await createDiscount({ kind: "percentage", value: 1500, priority: 5 });
    const auto = await createDiscount({ kind: "cart_fixed", value: 333, automatic: true, rules: { productIds: [productId], minSubtotal: 5000 } });
    await addToCart(customer.token, a.id, 3);
    await addToCart(customer.token, b.id, 1);
    const cart = await enterCode(customer.token, code.code!.toLowerCase());
    expect(cart.status).toBe(200);
    expect(cart.json.discounts).toEqual([{ code: code.code, amount: expect.objectContaining({ currency: "USD" }) }]);
    expect(cart.json.automaticDiscounts).toHaveLength(1);
    const checkout = await startCheckout(customer.token);
    expect(checkout.status).toBe(201);
    expect(checkout.json.totals).toEqual(cart.json.totals);
    expect(checkout.json.lines).toEqual(cart.json.items);
    const paid = await pay(customer.token, checkout.json.id);
    const order = await call("GET", `/api/v1/store/orders/${paid.json.orderId}`, { token: customer.token });
    expect(order.json.totals).toEqual(goods(cart.json.totals));
    const lineSum = order.json.lines.reduce((s: number, l: { total: { amount: number } }) => s + l.total.amount, 0);
    expect(lineSum).toBe(order.json.totals.total.amount);
    expect(order.json.lines[0]).toMatchObject({ unitPrice: { amount: 1799 }, discount: cart.json.items[0].discount, tax: cart.json.items[0].tax });
    const { results } = await env.DB.prepare("SELECT discount_id, amount FROM discount_redemptions WHERE order_id = ? ORDER BY discount_id").bind(paid.json.orderId).all();
    expect(results.map((r) => r.discount_id).sort()).toEqual([code.id, auto.id].sort());
    expect(results.reduce((s, r) => s + (r.amount as number), 0)).toBe(cart.json.totals.discount.amount);
  });
});

describe("POST /api/v1/store/checkouts with codes on the cart", () => {
  it("checks out at the cart's price when the cart's own contents switched a code off (shown in inactiveCodes)", async () => {
    const customer = await registerCustomer();
    const { variants } = await createProduct({ variants: [{ price: 3000 }, { price: 500 }] });
    const { code } = await createDiscount({ kind: "cart_fixed", value: 500, rules: { minSubtotal: 2500 } });
    const big = (await addToCart(customer.token, variants[0]!.id, 1)).items[0].id;
    await addToCart(customer.token, variants[1]!.id, 1);
    expect((await enterCode(customer.token, code!)).json.totals.discount.amount).toBe(500);
    const cart = await call("DELETE", `${CART}/items/${big}`, { token: customer.token });
    expect(cart.json.inactiveCodes).toEqual([{ code, reason: "minimum_not_met" }]);
    const checkout = await startCheckout(customer.token);
    expect(checkout.status).toBe(201);
    expect(checkout.json.totals).toEqual(cart.json.totals);
  });
});

describe("POST /api/v1/store/cart/discounts", () => {
  it("stores the code upper-case once, however often and in whatever case it is entered", async () => {
    const customer = await registerCustomer();
    const v = await createVariant(10, 3000);
    const { code } = await createDiscount({ kind: "cart_fixed", value: 500 });
    await addToCart(customer.token, v.id, 1);
    const first = await enterCode(customer.token, ` ${code!.toLowerCase()} `);
    const again = await enterCode(customer.token, code!);
    expect(first.status).toBe(200);
    expect(again.json.discounts).toEqual([{ code, amount: { amount: 500, currency: "USD" } }]);
    expect(again.json.totals.total.amount).toBe(2500);
    const row = await env.DB.prepare("SELECT discount_codes FROM carts WHERE id = ?").bind(again.json.id).first<{ discount_codes: string }>();
    expect(JSON.parse(row!.discount_codes)).toEqual([code]);
  });

  const now = Date.now();
  const cases: [string, (productId: string, userId: string) => Promise<string>][] = [
    ["unknown", async () => "NO-SUCH-CODE"],
    ["expired", async () => (await createDiscount({ kind: "cart_fixed", value: 100, endsAt: now - 1000 })).code!],
    ["not_started", async () => (await createDiscount({ kind: "cart_fixed", value: 100, startsAt: now + 86_400_000 })).code!],
    ["usage_limit_reached", async () => (await createDiscount({ kind: "cart_fixed", value: 100, usageLimit: 1, usageCount: 1 })).code!],
    ["minimum_not_met", async () => (await createDiscount({ kind: "cart_fixed", value: 100, rules: { minSubtotal: 1_000_000 } })).code!],
    ["not_applicable", async () => (await createDiscount({ kind: "percentage", value: 100, rules: { productIds: ["prod_elsewhere"] } })).code!],
    [
      "customer_limit_reached",
      async (_p, userId) => {
        const d = await createDiscount({ kind: "cart_fixed", value: 100, perCustomerLimit: 1 });
        await env.DB.prepare("INSERT INTO discount_redemptions (id, discount_id, order_id, customer_id, amount, created_at) VALUES (?, ?, 'ord_old', ?, 100, 0)")
          .bind(newId("red"), d.id, userId)
          .run();
        return d.code!;
      },
    ],
  ];
  for (const [reason, make] of cases) {
    it(`answers 422 VALIDATION_ERROR with details.reason ${reason} and keeps the code off the cart`, async () => {
      const customer = await registerCustomer();
      const v = await createVariant(10, 3000);
      await addToCart(customer.token, v.id, 1);
      const code = await make(v.productId, customer.userId);
      const res = await enterCode(customer.token, code);
      expect(res.status).toBe(422);
      expect(res.json.error).toMatchObject({ code: "VALIDATION_ERROR", details: { reason, code } });
      expect(res.json.error.message).toContain(code);
      expect((await call("GET", CART, { token: customer.token })).json.discounts).toEqual([]);
    });
  }

  it("answers 422 not_stackable for a code next to a non-stackable one", async () => {
    const customer = await registerCustomer();
    const v = await createVariant(10, 3000);
    await addToCart(customer.token, v.id, 1);
    const exclusive = await createDiscount({ kind: "cart_percentage", value: 1000, stackable: false, priority: 10 });
    const other = await createDiscount({ kind: "cart_fixed", value: 100 });
    expect((await enterCode(customer.token, exclusive.code!)).status).toBe(200);
    const res = await enterCode(customer.token, other.code!);
    expect(res.status).toBe(422);
    expect(res.json.error.details.reason).toBe("not_stackable");
  });

  it("answers 401 without a token", async () => {
    expect((await call("POST", `${CART}/discounts`, { body: { code: "X" } })).status).toBe(401);
  });
});

describe("DELETE /api/v1/store/cart/discounts/:code", () => {
  it("removes the code (any case) and the discount with it; 404 for a code the cart does not hold", async () => {
    const customer = await registerCustomer();
    const v = await createVariant(10, 3000);
    const { code } = await createDiscount({ kind: "cart_fixed", value: 500 });
    await addToCart(customer.token, v.id, 1);
    await enterCode(customer.token, code!);
    const res = await call("DELETE", `${CART}/discounts/${code!.toLowerCase()}`, { token: customer.token });
    expect(res.status).toBe(200);
    expect(res.json.discounts).toEqual([]);
    expect(res.json.totals.total.amount).toBe(3000);
    expect((await call("DELETE", `${CART}/discounts/${code}`, { token: customer.token })).status).toBe(404);
  });

  it("does not touch another customer's cart", async () => {
    const owner = await registerCustomer();
    const other = await registerCustomer();
    const v = await createVariant(10, 3000);
    const { code } = await createDiscount({ kind: "cart_fixed", value: 500 });
    await addToCart(owner.token, v.id, 1);
    await enterCode(owner.token, code!);
    expect((await call("DELETE", `${CART}/discounts/${code}`, { token: other.token })).status).toBe(404);
    expect((await call("GET", CART, { token: owner.token })).json.discounts).toHaveLength(1);
  });
});

describe("priceCartForCustomer", () => {
  it("prices a cart of 120 distinct variants (IN lists cut below D1's 100-parameter limit)", async () => {
    const customer = await registerCustomer();
    const { variants } = await createProduct({ variants: Array.from({ length: 120 }, (_, i) => ({ price: 100 + i })) });
    await createPriceList({ [variants[0]!.id]: 1, [variants[119]!.id]: 2 }, [await createGroup(customer.userId)]);
    const lines = variants.map((v, i) => ({ lineId: `l${i}`, variantId: v.id, productId: v.productId, categoryId: null, quantity: 1, basePrice: v.price, taxRateBps: 0 }));
    const priced = await priceCartForCustomer(env, customer.userId, lines, [], Date.now());
    expect(priced.lines[0]!.unitPrice).toBe(1);
    expect(priced.lines[119]!.unitPrice).toBe(2);
    expect(priced.totals.subtotal).toBe(variants.slice(1, 119).reduce((s, v) => s + v.price, 0) + 3);
  });
});
