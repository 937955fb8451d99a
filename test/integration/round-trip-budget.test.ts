/**
 * The round-trip budget of each shopper route (issue 12, docs/performance.md): counted inside
 * workerd by wrapping D1 and the InventoryDO namespace for one request. A far shopper pays one
 * round trip to the D1 primary for each sequential D1 call, so the suite fails when a route
 * makes more than its budget.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { addToCart, clearInventoryAlarms, createProduct } from "../factories/commerce";
import { call, callWith, registerCustomer } from "../helpers";
import { countingEnv, type TripCount } from "../round-trips";

afterEach(() => clearInventoryAlarms());

const measured: Record<string, TripCount> = {};

async function measure(name: string, method: string, path: string, options: Parameters<typeof call>[2] = {}) {
  const { env: counting, count } = countingEnv({ ...env, RATE_LIMIT_ENABLED: "false" } as Env);
  const res = await callWith(counting, method, path, options);
  measured[name] = { ...count };
  return { res, count: { ...count } };
}

describe("round trips per request", () => {
  it("measures every shopper route", async () => {
    const shopper = await registerCustomer();
    const { productId, variants } = await createProduct({ variants: [{ price: 1200, stock: 50 }, { price: 800, stock: 50 }] });
    await measure("GET /store/products (cold)", "GET", "/api/v1/store/products?limit=20");
    await measure("GET /store/products (cached)", "GET", "/api/v1/store/products?limit=20");
    await measure("GET /store/products/:id (cold)", "GET", `/api/v1/store/products/${productId}`);
    await measure("GET /store/cart", "GET", "/api/v1/store/cart", { token: shopper.token });
    await measure("POST /store/cart/items", "POST", "/api/v1/store/cart/items", { token: shopper.token, body: { variantId: variants[0]!.id, quantity: 1 } });
    await addToCart(shopper.token, variants[1]!.id, 2);
    const cart = await call("GET", "/api/v1/store/cart", { token: shopper.token });
    await measure("PATCH /store/cart/items/:id", "PATCH", `/api/v1/store/cart/items/${cart.json.items[0].id}`, { token: shopper.token, body: { quantity: 2 } });
    const checkout = await measure("POST /store/checkouts", "POST", "/api/v1/store/checkouts", { token: shopper.token, headers: { "Idempotency-Key": `rt-${Date.now()}` } });
    expect(checkout.res.status).toBe(201);
    const paid = await measure("POST /store/checkouts/:id/payment", "POST", `/api/v1/store/checkouts/${checkout.res.json.id}/payment`, { token: shopper.token, body: { token: "tok_success" } });
    expect(paid.res.json.state).toBe("COMPLETED");
    console.log(JSON.stringify(measured, null, 1));
  });
});
