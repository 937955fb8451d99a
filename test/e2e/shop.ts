/** Shopping steps the black-box tests share, through the typed SDK. */
import { expect } from "vitest";
import { api } from "./client";

export async function firstInStockVariant(skip = 0) {
  const page = await api().GET("/api/v1/store/products", { params: { query: { limit: 50 } } });
  expect(page.response.status).toBe(200);
  const variants = page.data!.data.flatMap((p) => p.variants).filter((v) => v.available > 0);
  return variants[skip]!;
}

/** A US address in the seed's default region (New York: its tax rates apply). */
export const NEW_YORK = { firstName: "E2E", lastName: "Shopper", line1: "1 Broadway", city: "New York", postalCode: "10004", province: "NY", countryCode: "US" };

/** Ships the cart (the seed's goods ship): to `address`, by the first method offered. */
export async function shipCart(shopper: ReturnType<typeof api>, address: typeof NEW_YORK = NEW_YORK) {
  const withAddress = await shopper.PUT("/api/v1/store/cart/shipping-address", { body: { address } });
  expect(withAddress.response.status).toBe(200);
  const methods = await shopper.GET("/api/v1/store/cart/shipping-methods");
  expect(methods.data!.length).toBeGreaterThan(0);
  const shipped = await shopper.PUT("/api/v1/store/cart/shipping-method", { body: { shippingMethodId: methods.data![0]!.id } });
  expect(shipped.response.status).toBe(200);
  return { methods: methods.data!, cart: shipped.data! };
}

export async function buy(token: string, variantId: string, quantity = 1) {
  const shopper = api({ token });
  const added = await shopper.POST("/api/v1/store/cart/items", { body: { variantId, quantity } });
  if (added.response.status === 201) await shipCart(shopper);
  const checkout = await shopper.POST("/api/v1/store/checkouts", { body: {}, params: { header: { "idempotency-key": crypto.randomUUID() } } });
  if (checkout.response.status !== 201) return { added, checkout, payment: null };
  const payment = await shopper.POST("/api/v1/store/checkouts/{id}/payment", { params: { path: { id: checkout.data!.id } }, body: { provider: "test", token: "tok_success" } });
  return { added, checkout, payment };
}
