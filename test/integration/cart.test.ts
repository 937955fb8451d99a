import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_CART_LINES } from "../../src/modules/cart/schemas";
import { createProduct, createVariant } from "../factories/commerce";
import { call, expectErrorEnvelope, registerCustomer } from "../helpers";

const CART = "/api/v1/store/cart";

describe("GET /api/v1/store/cart", () => {
  it("creates an empty cart on demand and answers the same cart next time", async () => {
    const { token } = await registerCustomer();
    const first = await call("GET", CART, { token });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ items: [], discounts: [], totals: { total: { amount: 0, currency: "USD" } } });
    const again = await call("GET", CART, { token });
    expect(again.json.id).toBe(first.json.id);
  });

  it("creates only one active cart under concurrent first requests", async () => {
    const { token } = await registerCustomer();
    const answers = await Promise.all([1, 2, 3, 4].map(() => call("GET", CART, { token })));
    expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
  });

  it("answers 401 without a token", async () => {
    expect((await call("GET", CART)).status).toBe(401);
  });
});

describe("POST /api/v1/store/cart/items", () => {
  it("adds a variant priced by the server, with tax rounded half up", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant(10, 333, 825);
    const res = await call("POST", `${CART}/items`, { token, body: { variantId: v.id, quantity: 3 } });
    expect(res.status).toBe(201);
    expect(res.json.items).toEqual([
      expect.objectContaining({ variantId: v.id, sku: v.sku, quantity: 3, unitPrice: { amount: 333, currency: "USD" }, lineTotal: { amount: 999, currency: "USD" } }),
    ]);
    expect(res.json.totals).toMatchObject({ subtotal: { amount: 999 }, tax: { amount: 82 }, discount: { amount: 0 }, total: { amount: 1081 } });
  });

  it("adds quantities when the same variant is added twice", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant();
    await call("POST", `${CART}/items`, { token, body: { variantId: v.id, quantity: 2 } });
    const res = await call("POST", `${CART}/items`, { token, body: { variantId: v.id, quantity: 3 } });
    expect(res.json.items).toHaveLength(1);
    expect(res.json.items[0].quantity).toBe(5);
  });

  it("answers 404 for an unknown variant", async () => {
    const { token } = await registerCustomer();
    const res = await call("POST", `${CART}/items`, { token, body: { variantId: "var_unknown", quantity: 1 } });
    expect(res.status).toBe(404);
    expectErrorEnvelope(res, "NOT_FOUND");
  });

  it("answers 422 for a quantity below 1, above the maximum, or a client price", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant();
    for (const body of [{ variantId: v.id, quantity: 0 }, { variantId: v.id, quantity: 101 }, { variantId: v.id, quantity: 1, price: 1 }]) {
      const res = await call("POST", `${CART}/items`, { token, body });
      expect(res.status).toBe(422);
      expectErrorEnvelope(res, "VALIDATION_ERROR");
    }
  });

  it("answers 422 when adding would pass the per-line maximum", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant();
    await call("POST", `${CART}/items`, { token, body: { variantId: v.id, quantity: 90 } });
    const res = await call("POST", `${CART}/items`, { token, body: { variantId: v.id, quantity: 20 } });
    expect(res.status).toBe(422);
  });
});

describe("POST /api/v1/store/cart/items refusals (checked in the write's own statement)", () => {
  const versionOf = async (cartId: string) => (await env.DB.prepare("SELECT version FROM carts WHERE id = ?").bind(cartId).first<{ version: number }>())!.version;

  it("refuses a line past the cart's maximum and a variant of a product not on sale, and writes nothing for either", async () => {
    const { token } = await registerCustomer();
    const { variants } = await createProduct({ variants: Array.from({ length: MAX_CART_LINES + 1 }, () => ({ price: 100, stock: 5 })) });
    let cartId = "";
    for (const v of variants.slice(0, MAX_CART_LINES)) {
      const added = await call("POST", `${CART}/items`, { token, body: { variantId: v.id, quantity: 1 } });
      expect(added.status).toBe(201);
      cartId = added.json.id;
    }
    const version = await versionOf(cartId);
    const full = await call("POST", `${CART}/items`, { token, body: { variantId: variants[MAX_CART_LINES]!.id, quantity: 1 } });
    expect(full.status).toBe(422);
    expect(full.json.error.details.issues[0]).toMatchObject({ path: "variantId", message: `a cart holds at most ${MAX_CART_LINES} lines` });
    const draft = await createVariant();
    await env.DB.prepare("UPDATE products SET status = 'draft' WHERE id = (SELECT product_id FROM product_variants WHERE id = ?)").bind(draft.id).run();
    expect((await call("POST", `${CART}/items`, { token, body: { variantId: draft.id, quantity: 1 } })).status).toBe(404);
    expect(await versionOf(cartId)).toBe(version);
    expect((await call("GET", CART, { token })).json.items).toHaveLength(MAX_CART_LINES);
  });
});

describe("PATCH /api/v1/store/cart/items/:itemId", () => {
  it("changes the quantity", async () => {
    const { token } = await registerCustomer();
    const { variants } = await createProduct({ variants: [{ price: 500 }, { price: 700 }] });
    await call("POST", `${CART}/items`, { token, body: { variantId: variants[0]!.id, quantity: 1 } });
    const added = await call("POST", `${CART}/items`, { token, body: { variantId: variants[1]!.id, quantity: 1 } });
    const itemId = added.json.items[1].id;
    const res = await call("PATCH", `${CART}/items/${itemId}`, { token, body: { quantity: 4 } });
    expect(res.status).toBe(200);
    expect(res.json.totals.subtotal.amount).toBe(500 + 4 * 700);
  });

  it("answers 404 for another customer's item", async () => {
    const owner = await registerCustomer();
    const other = await registerCustomer();
    const v = await createVariant();
    const added = await call("POST", `${CART}/items`, { token: owner.token, body: { variantId: v.id, quantity: 1 } });
    const res = await call("PATCH", `${CART}/items/${added.json.items[0].id}`, { token: other.token, body: { quantity: 9 } });
    expect(res.status).toBe(404);
  });
});

describe("DELETE /api/v1/store/cart/items/:itemId", () => {
  it("removes the item", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant();
    const added = await call("POST", `${CART}/items`, { token, body: { variantId: v.id, quantity: 1 } });
    const res = await call("DELETE", `${CART}/items/${added.json.items[0].id}`, { token });
    expect(res.status).toBe(200);
    expect(res.json.items).toEqual([]);
  });

  it("answers 404 for another customer's item", async () => {
    const owner = await registerCustomer();
    const other = await registerCustomer();
    const v = await createVariant();
    const added = await call("POST", `${CART}/items`, { token: owner.token, body: { variantId: v.id, quantity: 1 } });
    expect((await call("DELETE", `${CART}/items/${added.json.items[0].id}`, { token: other.token })).status).toBe(404);
  });
});
