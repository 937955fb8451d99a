/** Shopping steps the black-box tests share, through the typed SDK. */
import { expect } from "vitest";
import { api } from "./client";

export async function firstInStockVariant(skip = 0) {
  const page = await api().GET("/api/v1/store/products", { params: { query: { limit: 50 } } });
  expect(page.response.status).toBe(200);
  const variants = page.data!.data.flatMap((p) => p.variants).filter((v) => v.available > 0);
  return variants[skip]!;
}

export async function buy(token: string, variantId: string, quantity = 1) {
  const shopper = api({ token });
  const added = await shopper.POST("/api/v1/store/cart/items", { body: { variantId, quantity } });
  const checkout = await shopper.POST("/api/v1/store/checkouts", { body: {}, params: { header: { "idempotency-key": crypto.randomUUID() } } });
  if (checkout.response.status !== 201) return { added, checkout, payment: null };
  const payment = await shopper.POST("/api/v1/store/checkouts/{id}/payment", { params: { path: { id: checkout.data!.id } }, body: { provider: "test", token: "tok_success" } });
  return { added, checkout, payment };
}
