import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { addToCart, clearInventoryAlarms, createProduct, inventoryStub, pay, startCheckout } from "../factories/commerce";
import { createPriceList } from "../factories/pricing";
import { call, createAdmin, registerCustomer } from "../helpers";

afterEach(() => clearInventoryAlarms());

let token: string;
beforeAll(async () => {
  token = (await createAdmin()).token;
});

/** Components A 1000, B 1500, C 2000 (10 each) and a bundle: one of A/B, up to one C (2 units); `price` 0 = sum of components. */
async function bundle(price = 0) {
  const { variants } = await createProduct({ variants: [{ price: 1000 }, { price: 1500 }, { price: 2000 }] });
  const [a, b, c] = variants as [(typeof variants)[0], (typeof variants)[0], (typeof variants)[0]];
  const made = await createProduct({ variants: [{ price, stock: 0 }] });
  const body = {
    sets: [
      { name: "Main", minChoices: 1, maxChoices: 1, items: [{ variantId: a.id }, { variantId: b.id }] },
      { name: "Side", minChoices: 0, maxChoices: 1, items: [{ variantId: c.id, quantity: 2 }] },
    ],
  };
  const res = await call("PUT", `/api/v1/admin/products/${made.productId}/bundle`, { token, body });
  if (res.status !== 200) throw new Error(`bundle: ${res.status} ${res.text}`);
  return { a, b, c, productId: made.productId, variantId: made.variants[0]!.id, sets: res.json.sets };
}

const addBundle = (customerToken: string, variantId: string, bundleSelection: unknown, quantity = 1) =>
  call("POST", "/api/v1/store/cart/items", { token: customerToken, body: { variantId, quantity, bundleSelection } });

describe("PUT /api/v1/admin/products/:id/bundle", () => {
  it("defines the choice sets, readable again with GET", async () => {
    const b = await bundle();
    expect(b.sets).toHaveLength(2);
    const read = await call("GET", `/api/v1/admin/products/${b.productId}/bundle`, { token });
    expect(read.json.sets[1]).toMatchObject({ name: "Side", minChoices: 0, maxChoices: 1, items: [{ variantId: b.c.id, quantity: 2 }] });
  });

  it("answers 422 for an unknown variant or min above max, 404 for an unknown product", async () => {
    const { productId } = await createProduct();
    const unknown = { sets: [{ name: "X", items: [{ variantId: "var_nowhere" }] }] };
    expect((await call("PUT", `/api/v1/admin/products/${productId}/bundle`, { token, body: unknown })).status).toBe(422);
    const { variants } = await createProduct();
    const upside = { sets: [{ name: "X", minChoices: 2, maxChoices: 1, items: [{ variantId: variants[0]!.id }] }] };
    expect((await call("PUT", `/api/v1/admin/products/${productId}/bundle`, { token, body: upside })).status).toBe(422);
    expect((await call("PUT", "/api/v1/admin/products/prod_nowhere/bundle", { token, body: unknown })).status).toBe(404);
  });
});

describe("POST /api/v1/store/cart/items with a bundleSelection", () => {
  it("prices a bundle without its own price as the sum of the chosen components, at the customer's prices", async () => {
    const customer = await registerCustomer();
    const b = await bundle();
    const res = await addBundle(customer.token, b.variantId, [{ variantId: b.a.id }, { variantId: b.c.id }], 2);
    expect(res.status).toBe(201);
    expect(res.json.items[0]).toMatchObject({ unitPrice: { amount: 1000 + 2 * 2000 }, lineTotal: { amount: 10000 } });
    expect(res.json.items[0].bundleSelection).toEqual(expect.arrayContaining([{ variantId: b.a.id, quantity: 1 }, { variantId: b.c.id, quantity: 2 }]));
    await createPriceList({ [b.a.id]: 800 });
    expect((await call("GET", "/api/v1/store/cart", { token: customer.token })).json.items[0].unitPrice.amount).toBe(800 + 4000);
  });

  it("charges a bundle's own price when it has one", async () => {
    const customer = await registerCustomer();
    const b = await bundle(3000);
    const res = await addBundle(customer.token, b.variantId, [{ variantId: b.b.id }, { variantId: b.c.id }]);
    expect(res.json.items[0].unitPrice.amount).toBe(3000);
  });

  it("answers 422 for a missing selection, a variant the bundle does not offer, or a set outside its min..max", async () => {
    const customer = await registerCustomer();
    const b = await bundle();
    const bad = [undefined, [{ variantId: "var_nowhere" }], [{ variantId: b.a.id }, { variantId: b.b.id }], [{ variantId: b.c.id }], [{ variantId: b.c.id, quantity: 1 }, { variantId: b.a.id }]];
    for (const selection of bad) {
      const res = await addBundle(customer.token, b.variantId, selection);
      expect(res.status, JSON.stringify(selection)).toBe(422);
    }
    expect((await addBundle(customer.token, b.a.id, [{ variantId: b.a.id }])).status).toBe(422);
  });
});

describe("POST /api/v1/store/checkouts with bundles", () => {
  it("reserves every component, summed per variant across the cart; pays, and a cancel returns the components", async () => {
    const customer = await registerCustomer();
    const b = await bundle();
    await addBundle(customer.token, b.variantId, [{ variantId: b.a.id }, { variantId: b.c.id }], 2);
    await addToCart(customer.token, b.a.id, 3);
    const checkout = await startCheckout(customer.token);
    expect(checkout.status).toBe(201);
    expect(checkout.json.totals.subtotal.amount).toBe(2 * 5000 + 3 * 1000);
    expect(await inventoryStub(b.a.id).snapshot(b.a.id)).toMatchObject({ onHand: 10, reserved: 5 });
    expect(await inventoryStub(b.c.id).snapshot(b.c.id)).toMatchObject({ onHand: 10, reserved: 4 });
    const paid = await pay(customer.token, checkout.json.id);
    expect(paid.status).toBe(200);
    expect(await inventoryStub(b.a.id).snapshot(b.a.id)).toMatchObject({ onHand: 5, reserved: 0 });
    expect(await inventoryStub(b.c.id).snapshot(b.c.id)).toMatchObject({ onHand: 6, reserved: 0 });
    expect((await call("POST", `/api/v1/store/orders/${paid.json.orderId}/cancel`, { token: customer.token })).status).toBe(200);
    expect(await inventoryStub(b.a.id).snapshot(b.a.id)).toMatchObject({ onHand: 10 });
    expect(await inventoryStub(b.c.id).snapshot(b.c.id)).toMatchObject({ onHand: 10 });
  });

  it("answers 409 INSUFFICIENT_INVENTORY naming the short component", async () => {
    const customer = await registerCustomer();
    const b = await bundle();
    await addBundle(customer.token, b.variantId, [{ variantId: b.b.id }, { variantId: b.c.id }], 6);
    const res = await startCheckout(customer.token);
    expect(res.status).toBe(409);
    expect(res.json.error.details.lines).toEqual([{ variantId: b.c.id, requested: 12, available: 10 }]);
    expect((await inventoryStub(b.b.id).snapshot(b.b.id)).reserved).toBe(0);
  });
});
