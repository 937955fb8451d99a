/**
 * A purchase in each seeded region against `npm run dev`, through the typed SDK: prices in the
 * region's currency, tax of the shipping place (added in the US, inside the gross price in the EU
 * and the UK), shipping, and the order's totals adding up exactly — worked out here from the
 * seed's published rates, not read back from the server.
 */
import { describe, expect, it } from "vitest";
import { api, newCustomer } from "./client";

type Address = { firstName: string; lastName: string; line1: string; city: string; postalCode: string; province?: string; countryCode: string };
type Case = { region: string; currency: string; taxInclusive: boolean; language: string; address: Address; rates: Record<string, number>; shippingRate: number };

// The seed's rates (scripts/seed-markets.mjs) for these places, per tax category.
const CASES: Case[] = [
  { region: "US", currency: "USD", taxInclusive: false, language: "en-US", address: { firstName: "Ann", lastName: "Lee", line1: "1 Broadway", city: "New York", postalCode: "10004", province: "NY", countryCode: "US" }, rates: { standard: 400, reduced: 0 }, shippingRate: 400 },
  { region: "EU", currency: "EUR", taxInclusive: true, language: "de-DE", address: { firstName: "Erika", lastName: "Muster", line1: "Unter den Linden 1", city: "Berlin", postalCode: "10117", countryCode: "DE" }, rates: { standard: 1900, reduced: 700 }, shippingRate: 1900 },
  { region: "UK", currency: "GBP", taxInclusive: true, language: "en-GB", address: { firstName: "Jane", lastName: "Doe", line1: "10 Downing St", city: "London", postalCode: "SW1A 2AA", countryCode: "GB" }, rates: { standard: 2000, reduced: 500 }, shippingRate: 2000 },
];

/** a × r ÷ d rounded half-up, in integers (the engine's rounding, per line). */
const halfUp = (a: number, r: number, d: number) => Number((2n * BigInt(a) * BigInt(r) + BigInt(d)) / (2n * BigInt(d)));
const tax = (amount: number, rate: number, inclusive: boolean) => (inclusive ? halfUp(amount, rate, 10_000 + rate) : halfUp(amount, rate, 10_000));

describe("a purchase in every seeded region (black box)", () => {
  for (const c of CASES) {
    it(`${c.region}: prices in ${c.currency}, tax of the place, shipping, and totals that add up on cart, checkout and order`, async () => {
      const shopper = await newCustomer(`market-${c.region.toLowerCase()}`);
      const store = api({ token: shopper.token }, { "X-Region": c.region, "Accept-Language": c.language });
      const page = await store.GET("/api/v1/store/products", { params: { query: { limit: 50, sort: "price_asc" } } });
      expect(page.response.headers.get("X-Region")).toBe(c.region);
      const found = page.data!.data
        .flatMap((p) => p.variants.map((v) => ({ product: p, variant: v })))
        .find(({ variant }) => variant.price !== null && variant.price.amount <= 9000 && variant.available >= 2)!;
      const price = found.variant.price!;
      expect(price.currency).toBe(c.currency);
      expect(found.variant.prices).toContainEqual(price);

      const added = await store.POST("/api/v1/store/cart/items", { body: { variantId: found.variant.id, quantity: 2 } });
      expect(added.response.status).toBe(201);
      expect(added.data!.region).toBe(c.region);
      await store.PUT("/api/v1/store/cart/shipping-address", { body: { address: c.address } });
      const methods = (await store.GET("/api/v1/store/cart/shipping-methods")).data!;
      expect(methods.every((m) => m.amount.currency === c.currency)).toBe(true);
      const method = methods[0]!;
      const cart = (await store.PUT("/api/v1/store/cart/shipping-method", { body: { shippingMethodId: method.id } })).data!;

      const subtotal = price.amount * 2;
      const shipping = method.amount.amount;
      const lineTax = tax(subtotal, c.rates[found.product.taxCategory]!, c.taxInclusive);
      const shippingTax = tax(shipping, c.shippingRate, c.taxInclusive);
      const total = subtotal + shipping + (c.taxInclusive ? 0 : lineTax + shippingTax);
      const money = (amount: number) => ({ amount, currency: c.currency });
      const expected = { subtotal: money(subtotal), discount: money(0), shipping: money(shipping), tax: money(lineTax + shippingTax), total: money(total) };
      // Cart and checkout also say what gift cards and store credit pay (nothing here) and what is charged.
      const payable = { ...expected, giftCard: money(0), storeCredit: money(0), amountDue: money(total) };
      expect(cart.totals).toEqual(payable);

      const checkout = await store.POST("/api/v1/store/checkouts", { body: {}, params: { header: { "idempotency-key": crypto.randomUUID() } } });
      expect(checkout.response.status).toBe(201);
      expect(checkout.data!.totals).toEqual(payable);
      const paid = await store.POST("/api/v1/store/checkouts/{id}/payment", { params: { path: { id: checkout.data!.id } }, body: { provider: "test", token: "tok_success" } });
      expect(paid.data).toMatchObject({ state: "COMPLETED", orderId: expect.any(String) });

      const order = (await store.GET("/api/v1/store/orders/{id}", { params: { path: { id: paid.data!.orderId! } } })).data!;
      expect(order.totals).toEqual(expected);
      expect(order.region).toBe(c.region);
      expect(order.shippingAddress).toMatchObject({ city: c.address.city, countryCode: c.address.countryCode });
      expect(order.shippingMethod).toMatchObject({ id: method.id, amount: money(shipping) });
      const lines = order.lines.reduce((sum, l) => sum + l.total.amount, 0);
      expect(lines + shipping + (c.taxInclusive ? 0 : shippingTax)).toBe(order.totals.total.amount);
    });
  }
});
