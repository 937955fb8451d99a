/** Markets factories over the admin API: regions, tax rates, shipping methods, products priced per currency. */
import { call } from "../helpers";
import { adminToken, createProduct, unique } from "./catalog";

async function admin(method: string, path: string, body?: unknown) {
  const res = await call(method, `/api/v1/admin${path}`, { token: await adminToken(), body });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.json;
}

type MethodKey = "usStandard" | "usExpress" | "euStandard" | "ukStandard";
export type Markets = { methods: Record<MethodKey, string> };

/**
 * The three seeded-like regions (US default, tax added; EU and UK, prices with VAT), their tax
 * rates and shipping methods. Idempotent per test file: the first call creates them.
 */
let made: Promise<Markets> | undefined;
export function setupMarkets(): Promise<Markets> {
  made ??= (async () => {
    await admin("POST", "/regions", { code: "US", name: "United States", currency: "USD", countries: ["US"], isDefault: true });
    await admin("POST", "/regions", { code: "EU", name: "European Union", currency: "EUR", countries: ["DE", "FR"], taxInclusive: true, position: 1 });
    await admin("POST", "/regions", { code: "UK", name: "United Kingdom", currency: "GBP", countries: ["GB"], taxInclusive: true, position: 2 });
    const rates: [string, string | null, string, number][] = [
      ["US", null, "standard", 0],
      ["US", "NY", "standard", 400],
      ["US", "NY", "shipping", 400],
      ["US", "CA", "standard", 725],
      ["DE", null, "standard", 1900],
      ["DE", null, "reduced", 700],
      ["DE", null, "shipping", 1900],
      ["FR", null, "standard", 2000],
      ["FR", null, "shipping", 2000],
      ["GB", null, "standard", 2000],
      ["GB", null, "shipping", 2000],
    ];
    for (const [countryCode, provinceCode, taxCategory, rateBps] of rates) {
      await admin("POST", "/tax-rates", { countryCode, provinceCode, taxCategory, rateBps, name: `${countryCode}${provinceCode ? `-${provinceCode}` : ""} ${taxCategory}` });
    }
    const methods = {} as Record<MethodKey, string>;
    const method = async (key: MethodKey, body: Record<string, unknown>) => (methods[key] = (await admin("POST", "/shipping-methods", body)).id);
    await method("usStandard", { regionCode: "US", name: "Standard", amount: 599, freeOver: 7500, estimatedDays: 5 });
    await method("usExpress", { regionCode: "US", name: "Express", kind: "weight", weightRates: [{ maxGrams: 1000, amount: 1200 }, { maxGrams: 5000, amount: 2000 }], estimatedDays: 2 });
    await method("euStandard", { regionCode: "EU", name: "Standard", amount: 490, freeOver: 6000, estimatedDays: 4 });
    await method("ukStandard", { regionCode: "UK", name: "Royal Mail", amount: 395, estimatedDays: 3 });
    return { methods };
  })();
  return made;
}

/** An active product whose variant ships (weight in grams) and is priced in USD and, when given, EUR and GBP. */
export async function pricedProduct(prices: { USD: number; EUR?: number; GBP?: number }, options: { weightGrams?: number; stock?: number; taxCategory?: string; title?: string } = {}) {
  const others = (["EUR", "GBP"] as const).flatMap((c) => (prices[c] === undefined ? [] : [{ amount: prices[c]!, currency: c }]));
  return createProduct({
    ...(options.title ? { title: options.title } : {}),
    ...(options.taxCategory ? { taxCategory: options.taxCategory } : {}),
    variants: [{ price: prices.USD, prices: others, stock: options.stock ?? 20, weightGrams: options.weightGrams ?? 500, requiresShipping: true }],
  });
}

export const ADDRESSES = {
  berlin: { firstName: "Erika", lastName: "Muster", line1: "Unter den Linden 1", city: "Berlin", postalCode: "10117", countryCode: "DE" },
  paris: { firstName: "Jean", lastName: "Dupont", line1: "1 Rue de Rivoli", city: "Paris", postalCode: "75001", countryCode: "FR" },
  london: { firstName: "Jane", lastName: "Doe", line1: "10 Downing St", city: "London", postalCode: "SW1A 2AA", countryCode: "GB" },
  newYork: { firstName: "John", lastName: "Roe", line1: "1 Main St", city: "New York", postalCode: "10001", province: "NY", countryCode: "US" },
  losAngeles: { firstName: "Joan", lastName: "Poe", line1: "2 Sunset Blvd", city: "Los Angeles", postalCode: "90001", province: "CA", countryCode: "US" },
};

export { unique };
