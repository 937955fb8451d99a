/**
 * The pure parts of markets: which region and language a request is served in, the tax rate of a
 * place and category, and which shipping methods can ship a cart and for how much.
 */
import { describe, expect, it } from "vitest";
import { negotiateLocale, preferredLanguages, resolveMarket } from "../../src/modules/markets/context";
import type { MarketConfig } from "../../src/modules/markets/repo";
import type { AdminRegion, ShippingMethod } from "../../src/modules/markets/schemas";
import { baseCharge, quotesFor } from "../../src/modules/markets/shipping";
import { lineRates, tableRate, tableTaxProvider } from "../../src/modules/markets/tax";

const region = (code: string, currency: string, countries: string[], extra: Partial<AdminRegion> = {}): AdminRegion => ({
  code, name: code, currency, countries, taxInclusive: false, isDefault: false, position: 0, version: 1, ...extra,
});
const US = region("US", "USD", ["US"], { isDefault: true });
const EU = region("EU", "EUR", ["DE", "FR"], { taxInclusive: true });
const config: MarketConfig = { regions: [US, EU], taxRates: [], shippingMethods: [] };
const env = { JWT_SECRET: "x".repeat(32), LOCALES: "en,de,fr,pt-BR" } as unknown as Env;

describe("the region of a request", () => {
  it("takes ?region first, then X-Region, then the country's region, then the default", () => {
    expect(resolveMarket(env, config, { regionParam: "eu", regionHeader: "US", country: "US" }).region.code).toBe("EU");
    expect(resolveMarket(env, config, { regionHeader: "EU", country: "US" })).toMatchObject({ region: { code: "EU" }, explicit: true });
    expect(resolveMarket(env, config, { country: "fr" })).toMatchObject({ region: { code: "EU" }, explicit: false, country: "FR" });
    expect(resolveMarket(env, config, { country: "JP" }).region.code).toBe("US");
    expect(resolveMarket(env, config, {}).region.code).toBe("US");
  });

  it("refuses a region that does not exist with 422 naming where it came from", () => {
    expect(() => resolveMarket(env, config, { regionHeader: "MARS" })).toThrowError(expect.objectContaining({ status: 422, details: { issues: [expect.objectContaining({ path: "X-Region" })] } }));
  });

  it("sells in one implicit region while none is configured", () => {
    const market = resolveMarket(env, { regions: [], taxRates: [], shippingMethods: [] }, { country: "DE" });
    expect(market.region).toMatchObject({ code: "default", currency: "USD", isDefault: true });
  });
});

describe("the language of a request", () => {
  it("reads Accept-Language by weight, matching a language to its regional form and back", () => {
    expect(preferredLanguages("fr;q=0.5, de-AT, en;q=0.8, x-bad_tag, ja;q=0")).toEqual(["de-AT", "en", "fr"]);
    expect(negotiateLocale(["en", "de", "fr", "pt-BR"], null, "de-AT,en;q=0.5")).toBe("de");
    expect(negotiateLocale(["en", "de", "fr", "pt-BR"], null, "pt")).toBe("pt-BR");
    expect(negotiateLocale(["en", "de", "fr"], null, "ja, it;q=0.9")).toBe("en");
  });

  it("lets ?locale win, falls back for an unsupported one, and refuses a malformed one", () => {
    expect(negotiateLocale(["en", "de"], "DE", "en")).toBe("de");
    expect(negotiateLocale(["en", "de"], "ja", "de")).toBe("en");
    expect(() => negotiateLocale(["en", "de"], "not a tag!", null)).toThrowError(expect.objectContaining({ status: 422 }));
  });
});

describe("tax by place", () => {
  const rows = [
    { id: "1", countryCode: "US", provinceCode: "", taxCategory: "standard", rateBps: 0, name: "US" },
    { id: "2", countryCode: "US", provinceCode: "NY", taxCategory: "standard", rateBps: 400, name: "NY" },
    { id: "3", countryCode: "US", provinceCode: "NY", taxCategory: "shipping", rateBps: 400, name: "NY shipping" },
    { id: "4", countryCode: "DE", provinceCode: "", taxCategory: "standard", rateBps: 1900, name: "DE" },
    { id: "5", countryCode: "DE", provinceCode: "", taxCategory: "reduced", rateBps: 700, name: "DE reduced" },
  ];

  it("takes a province's rate over its country's, and the country's elsewhere", () => {
    expect(tableRate(rows, { countryCode: "US", provinceCode: "ny" }, "standard")).toBe(400);
    expect(tableRate(rows, { countryCode: "US", provinceCode: "OR" }, "standard")).toBe(0);
    expect(tableRate(rows, { countryCode: "DE", provinceCode: null }, "reduced")).toBe(700);
    expect(tableRate(rows, { countryCode: "FR", provinceCode: null }, "standard")).toBeNull();
  });

  it("rates each line by its category, falls back to the product's own rate, and taxes shipping only where the place does", async () => {
    const lines = [
      { lineId: "a", taxCategory: "reduced", fallbackRateBps: 2000 },
      { lineId: "b", taxCategory: "luxury", fallbackRateBps: 2500 },
    ];
    const de = await lineRates(tableTaxProvider(rows), { countryCode: "DE", provinceCode: null }, lines);
    expect([...de.byLine]).toEqual([["a", 700], ["b", 2500]]);
    expect(de.shippingRateBps).toBe(0);
    const ny = await lineRates(tableTaxProvider(rows), { countryCode: "US", provinceCode: "NY" }, [{ lineId: "c", taxCategory: "standard", fallbackRateBps: 900 }]);
    expect(ny).toEqual({ byLine: new Map([["c", 400]]), shippingRateBps: 400 });
    const nowhere = await lineRates(tableTaxProvider(rows), null, lines);
    expect([...nowhere.byLine.values()]).toEqual([2000, 2500]);
  });
});

describe("shipping methods for a cart", () => {
  const method = (over: Partial<ShippingMethod>): ShippingMethod => ({
    id: "shm", regionCode: "EU", name: "M", kind: "flat", amount: 490, weightRates: [], freeOver: null, estimatedDays: null, countries: [], status: "active", position: 0, ...over,
  });
  const weight = method({ id: "w", kind: "weight", weightRates: [{ maxGrams: 1000, amount: 1290 }, { maxGrams: 5000, amount: 1990 }] });

  it("charges a weight method by the first row the cart fits under, and none past the last", () => {
    expect(baseCharge(weight, 0)).toBe(1290);
    expect(baseCharge(weight, 1000)).toBe(1290);
    expect(baseCharge(weight, 1001)).toBe(1990);
    expect(baseCharge(weight, 5001)).toBeNull();
  });

  it("offers the region's active methods that reach the country and carry the weight; nothing when nothing ships", () => {
    const methods = [method({ id: "flat" }), weight, method({ id: "fr-only", countries: ["FR"] }), method({ id: "off", status: "inactive" }), method({ id: "us", regionCode: "US" })];
    const ids = (country: string | null, grams: number) => quotesFor(methods, EU, country, { ships: true, weightGrams: grams }).map((q) => q.method.id);
    expect(ids("DE", 800)).toEqual(["flat", "w"]);
    expect(ids("FR", 8000)).toEqual(["flat", "fr-only"]);
    expect(ids(null, 800)).toEqual(["flat", "w", "fr-only"]);
    expect(ids("US", 800)).toEqual([]);
    expect(quotesFor(methods, EU, "DE", { ships: false, weightGrams: 0 })).toEqual([]);
  });
});
