import { describe, expect, it } from "vitest";
import { formatMoney, orderConfirmation, passwordReset, promotion } from "../../src/modules/notifications/templates";

const order = {
  orderNumber: "ES-1001",
  name: "Ann",
  currency: "USD",
  lines: [
    { title: "Classic Mug", sku: "MUG-1", quantity: 2, unitPrice: 1250, total: 2500 },
    { title: "Tea <Deluxe> & Co", quantity: 1, unitPrice: 999, total: 999 },
  ],
  totals: { subtotal: 3499, discount: 500, tax: 300, total: 3299 },
};

describe("email templates", () => {
  it("order confirmation lists every line and the totals, in text and HTML", () => {
    const email = orderConfirmation(order);
    expect(email.subject).toBe("Order ES-1001 confirmed");
    expect(email.text).toContain("2 × Classic Mug (MUG-1) @ 12.50 USD = 25.00 USD");
    expect(email.text).toContain("Total: 32.99 USD");
    expect(email.text).toContain("Discount: -5.00 USD");
    expect(email.html).toContain("Tea &lt;Deluxe&gt; &amp; Co");
    expect(email.html).not.toContain("<Deluxe>");
  });

  it("formats minor units without floating-point drift", () => {
    expect(formatMoney(1, "USD")).toBe("0.01 USD");
    expect(formatMoney(-105, "EUR")).toBe("-1.05 EUR");
    expect(formatMoney(123456789, "USD")).toBe("1234567.89 USD");
  });

  it("writes an order's amounts in its currency as its shopper's language does, shipping included", () => {
    const nbsp = (text: string) => text.replace(/\u00a0|\u202f/g, " ");
    const german = orderConfirmation({ ...order, currency: "EUR", locale: "de", totals: { subtotal: 3499, discount: 500, shipping: 490, tax: 557, total: 3489 } });
    expect(nbsp(german.text)).toContain("2 × Classic Mug (MUG-1) @ 12,50 € = 25,00 €");
    expect(nbsp(german.text)).toContain("Versand: 4,90 €");
    expect(nbsp(german.text)).toContain("Gesamt: 34,89 €");
    const british = orderConfirmation({ ...order, currency: "GBP", locale: "en", totals: { subtotal: 123456, discount: 0, shipping: 0, tax: 0, total: 123456 } });
    expect(british.text).toContain("Total: £1,234.56");
    expect(british.text).not.toContain("Shipping");
    // The currency's own decimals: yen have none, so 1500 minor units are ¥1,500.
    expect(nbsp(formatMoney(1500, "JPY", "ja"))).toMatch(/^[¥￥]1,500$/);
    expect(nbsp(formatMoney(-105, "EUR", "fr"))).toBe("-1,05 €");
  });

  it("password reset carries the token and its expiry", () => {
    const email = passwordReset({ token: "tok123", expiresAt: "2026-01-01T00:00:00.000Z" });
    expect(email.text).toContain("tok123");
    expect(email.text).toContain("2026-01-01T00:00:00.000Z");
  });

  it("promotion escapes the admin's body in HTML and tells how to opt out", () => {
    const email = promotion({ subject: "Sale", body: "<b>50%</b> off" });
    expect(email.html).toContain("&lt;b&gt;50%&lt;/b&gt; off");
    expect(email.text).toMatch(/opt out/);
  });
});
