/** Wishlists: each customer's own list, shown with price and availability as the catalog shows them; admins see the most-wished products. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quickAdmin, quickCustomer } from "../factories/after-purchase";
import { addToCart, clearInventoryAlarms, createProduct, startCheckout } from "../factories/commerce";
import { call, expectErrorEnvelope } from "../helpers";

let admin: Awaited<ReturnType<typeof quickAdmin>>;
beforeAll(async () => {
  admin = await quickAdmin();
});
afterAll(() => clearInventoryAlarms());

const wish = (token: string, variantId: string) => call("POST", "/api/v1/store/wishlist/items", { token, body: { variantId } });

describe("/api/v1/store/wishlist/items", () => {
  it("lists the customer's variants newest first, with the catalog's price and availability", async () => {
    const { productId, variants } = await createProduct({ variants: [{ price: 1200, stock: 3 }, { price: 900, stock: 0 }] });
    const shopper = await quickCustomer();
    expect((await wish(shopper.token, variants[0]!.id)).status).toBe(200);
    const added = await wish(shopper.token, variants[1]!.id);
    expect(added.json.items.map((i: { variantId: string }) => i.variantId)).toEqual([variants[1]!.id, variants[0]!.id]);
    // Adding again changes nothing.
    expect((await wish(shopper.token, variants[0]!.id)).json.items).toHaveLength(2);

    // Another shopper holds one unit in a checkout: the wishlist shows what the catalog shows.
    const other = await quickCustomer();
    await addToCart(other.token, variants[0]!.id, 1);
    await startCheckout(other.token);
    const list = await call("GET", "/api/v1/store/wishlist/items", { token: shopper.token });
    const product = await call("GET", `/api/v1/store/products/${productId}`);
    for (const item of list.json.items) {
      const shown = product.json.variants.find((v: { id: string }) => v.id === item.variantId);
      expect({ price: item.price, available: item.available }).toEqual({ price: shown.price, available: shown.available });
    }
    expect(list.json.items.map((i: { purchasable: boolean }) => i.purchasable)).toEqual([true, true]);
  });

  it("removes by path or by body; a variant not on the list is 404, an unknown one 404 on add", async () => {
    const { variants } = await createProduct({ variants: [{ price: 500, stock: 1 }] });
    const shopper = await quickCustomer();
    await wish(shopper.token, variants[0]!.id);
    const removed = await call("DELETE", `/api/v1/store/wishlist/items/${variants[0]!.id}`, { token: shopper.token });
    expect(removed.json.items).toEqual([]);
    const again = await call("DELETE", "/api/v1/store/wishlist/items", { token: shopper.token, body: { variantId: variants[0]!.id } });
    expect(again.status).toBe(404);
    expectErrorEnvelope(again, "NOT_FOUND");
    expect((await wish(shopper.token, "var_does_not_exist")).status).toBe(404);
  });
});

describe("GET /api/v1/admin/analytics/most-wished", () => {
  it("ranks products by how many customers wish for them", async () => {
    const popular = await createProduct({ variants: [{ price: 100 }, { price: 200 }] });
    const niche = await createProduct({ variants: [{ price: 300 }] });
    const shoppers = await Promise.all([1, 2, 3].map(() => quickCustomer()));
    for (const s of shoppers) await wish(s.token, popular.variants[0]!.id);
    await wish(shoppers[0]!.token, popular.variants[1]!.id);
    await wish(shoppers[1]!.token, niche.variants[0]!.id);
    const res = await call("GET", "/api/v1/admin/analytics/most-wished?limit=100", { token: admin.token });
    expect(res.status).toBe(200);
    const rows = res.json.data as { productId: string; wishes: number; customers: number }[];
    const at = (id: string) => rows.findIndex((r) => r.productId === id);
    expect(rows[at(popular.productId)]).toMatchObject({ wishes: 4, customers: 3 });
    expect(rows[at(niche.productId)]).toMatchObject({ wishes: 1, customers: 1 });
    expect(at(popular.productId)).toBeLessThan(at(niche.productId));
  });
});
