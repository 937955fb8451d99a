/**
 * Markets in the catalog: every store answer is served in one region (its currency) and one
 * language, says which (X-Region, Content-Language) and varies on both; prices are set per
 * currency and never converted; two regions (or languages) never share a cached answer; admins
 * manage regions, tax rates, shipping methods, prices per currency and translations.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { adminToken, createCategory, createCollection, unique } from "../factories/catalog";
import { pricedProduct, setupMarkets } from "../factories/markets";
import { env } from "cloudflare:test";
import { recordCoPurchases } from "../../src/modules/recommendations/service";
import { createOrder, createUser } from "../factories/reviews";
import { call, expectErrorEnvelope, graphql } from "../helpers";

const STORE = "/api/v1/store";
const admin = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  call(method, `/api/v1/admin${path}`, { token: await adminToken(), body, headers });

beforeAll(async () => {
  await setupMarkets();
});

describe("GET /api/v1/store/regions", () => {
  it("lists the regions with their currencies, countries and tax mode, and says which region and language the answer is in", async () => {
    const res = await call("GET", `${STORE}/regions`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual([
      { code: "US", name: "United States", currency: "USD", countries: ["US"], taxInclusive: false },
      { code: "EU", name: "European Union", currency: "EUR", countries: ["DE", "FR"], taxInclusive: true },
      { code: "UK", name: "United Kingdom", currency: "GBP", countries: ["GB"], taxInclusive: true },
    ]);
    expect(res.headers.get("X-Region")).toBe("US");
    expect(res.headers.get("Content-Language")).toBe("en");
    expect(res.headers.get("Vary")).toMatch(/X-Region/);
    expect(res.headers.get("Vary")).toMatch(/Accept-Language/);
  });
});

describe("the region a store request is served in", () => {
  let product: { id: string; slug: string; variants: { id: string }[] };
  beforeAll(async () => {
    product = await pricedProduct({ USD: 2500, EUR: 2299, GBP: 1999 });
  });
  const priceIn = async (headers: Record<string, string> = {}, query = "") => {
    const res = await call("GET", `${STORE}/products/${product.id}${query}`, { headers });
    return { region: res.headers.get("X-Region"), price: res.json.variants[0].price, range: res.json.priceRange };
  };

  it("is ?region, else X-Region, else the region of the shopper's country, else the default — in that region's currency", async () => {
    expect(await priceIn({}, "?region=eu")).toMatchObject({ region: "EU", price: { amount: 2299, currency: "EUR" } });
    expect(await priceIn({ "X-Region": "UK", "CF-IPCountry": "FR" })).toMatchObject({ region: "UK", price: { amount: 1999, currency: "GBP" } });
    expect(await priceIn({ "CF-IPCountry": "FR" })).toMatchObject({ region: "EU", price: { amount: 2299, currency: "EUR" } });
    expect(await priceIn({ "CF-IPCountry": "JP" })).toMatchObject({ region: "US", price: { amount: 2500, currency: "USD" } });
    const all = await call("GET", `${STORE}/products/${product.id}?region=UK`);
    expect(all.json.variants[0].prices).toEqual([
      { amount: 2299, currency: "EUR" },
      { amount: 1999, currency: "GBP" },
      { amount: 2500, currency: "USD" },
    ]);
  });

  it("answers 422 for a region that does not exist", async () => {
    const res = await call("GET", `${STORE}/products/${product.id}`, { headers: { "X-Region": "MARS" } });
    expect(res.status).toBe(422);
    expectErrorEnvelope(res, "VALIDATION_ERROR");
  });

  it("shows price null for a variant not sold in the region's currency, and leaves a product with no such price out of its lists", async () => {
    const usOnly = await pricedProduct({ USD: 4100 }, { title: unique("Usonly") });
    const detail = await call("GET", `${STORE}/products/${usOnly.id}`, { headers: { "X-Region": "EU" } });
    expect(detail.json.variants[0].price).toBeNull();
    expect(detail.json.priceRange).toBeNull();
    const search = (region: string) => call("GET", `${STORE}/products?q=${usOnly.title.split(" ")[0]}`, { headers: { "X-Region": region } });
    expect((await search("US")).json.data.map((p: { id: string }) => p.id)).toEqual([usOnly.id]);
    expect((await search("EU")).json.data).toEqual([]);
  });

  it("filters and sorts by price in the region's currency", async () => {
    const tag = unique("Sortme");
    const cheapInEuro = await pricedProduct({ USD: 9000, EUR: 1000 }, { title: `${tag} one` });
    const cheapInDollars = await pricedProduct({ USD: 1000, EUR: 9000 }, { title: `${tag} two` });
    const list = (region: string, extra = "") => call("GET", `${STORE}/products?q=${tag}&sort=price_asc${extra}`, { headers: { "X-Region": region } });
    expect((await list("EU")).json.data.map((p: { id: string }) => p.id)).toEqual([cheapInEuro.id, cheapInDollars.id]);
    expect((await list("US")).json.data.map((p: { id: string }) => p.id)).toEqual([cheapInDollars.id, cheapInEuro.id]);
    expect((await list("EU", "&maxPrice=5000")).json.data.map((p: { id: string }) => p.id)).toEqual([cheapInEuro.id]);
  });
});

describe("the catalog cache and markets", () => {
  it("never serves one region's (or language's) cached answer to another", async () => {
    const product = await pricedProduct({ USD: 3000, EUR: 2800, GBP: 2400 });
    const read = (region: string, language = "en") => call("GET", `${STORE}/products/${product.slug}`, { headers: { "X-Region": region, "Accept-Language": language } });
    const us = await read("US");
    const usAgain = await read("US");
    expect(usAgain.headers.get("X-Cache")).toBe("HIT-MEMORY");
    const eu = await read("EU");
    const uk = await read("UK");
    // Each region's first read fills its own key: no region is served the US page from memory.
    expect(eu.headers.get("X-Cache")).toBe("MISS");
    expect(uk.headers.get("X-Cache")).toBe("MISS");
    expect([us, eu, uk].map((r) => r.json.variants[0].price)).toEqual([
      { amount: 3000, currency: "USD" },
      { amount: 2800, currency: "EUR" },
      { amount: 2400, currency: "GBP" },
    ]);
    expect(new Set([us, eu, uk].map((r) => r.headers.get("ETag"))).size).toBe(3);
    expect((await read("EU")).headers.get("X-Cache")).toBe("HIT-MEMORY");
    // A stale ETag from another region never earns a 304.
    const crossed = await call("GET", `${STORE}/products/${product.slug}`, { headers: { "X-Region": "EU", "If-None-Match": us.headers.get("ETag")! } });
    expect(crossed.status).toBe(200);
    expect(crossed.json.variants[0].price.currency).toBe("EUR");
    // Languages too: the German page is its own entry.
    const german = await read("EU", "de-DE,de;q=0.9");
    expect(german.headers.get("Content-Language")).toBe("de");
    expect(german.headers.get("X-Cache")).toBe("MISS");
  });

  it("keeps GraphQL's cached answers apart per region as well", async () => {
    const product = await pricedProduct({ USD: 1500, EUR: 1400 });
    const query = `query($id: ID) { product(id: $id) { variants { price { amount currency } } } }`;
    const ask = (region: string) => graphql(query, { variables: { id: product.id }, headers: { "X-Region": region } });
    const first = await ask("US");
    expect(first.json.data.product.variants[0].price).toEqual({ amount: 1500, currency: "USD" });
    expect((await ask("US")).headers.get("X-Cache")).toMatch(/^HIT/);
    const eu = await ask("EU");
    expect(eu.headers.get("X-Cache")).toBe("MISS");
    expect(eu.headers.get("X-Region")).toBe("EU");
    expect(eu.json.data.product.variants[0].price).toEqual({ amount: 1400, currency: "EUR" });
    expect((await graphql("{ regions { code currency } }")).json.data.regions.map((r: { code: string }) => r.code)).toEqual(["US", "EU", "UK"]);
  });
});

describe("recommendations in a market", () => {
  it("recommend what the region sells, priced in its currency and titled in the shopper's language", async () => {
    const base = await pricedProduct({ USD: 1000, EUR: 900 });
    const both = await pricedProduct({ USD: 2000, EUR: 1800 });
    const usOnly = await pricedProduct({ USD: 3000 });
    await admin("PUT", `/products/${both.id}/translations/de`, { title: "Beides" });
    const line = (p: typeof base) => ({ productId: p.id, variantId: p.variants[0].id });
    await recordCoPurchases(env, await createOrder(await createUser(), [line(base), line(both), line(usOnly)]));
    const recs = (region: string, language: string) => call("GET", `${STORE}/products/${base.id}/recommendations`, { headers: { "X-Region": region, "Accept-Language": language } });
    const us = await recs("US", "en");
    expect(us.json.data.map((r: { id: string }) => r.id).sort()).toEqual([both.id, usOnly.id].sort());
    const eu = await recs("EU", "de");
    expect(eu.json.data).toEqual([expect.objectContaining({ id: both.id, title: "Beides", priceRange: { min: { amount: 1800, currency: "EUR" }, max: { amount: 1800, currency: "EUR" } } })]);
  });
});

describe("translated content", () => {
  it("shows product, variant, category and collection text in the asked language, the default text where none is translated, and says which", async () => {
    const category = await createCategory({ name: "Kitchen things" });
    const collection = await createCollection({ title: "Winter picks" });
    const word = unique("Teapot");
    const product = await pricedProduct({ USD: 2000, EUR: 1900 }, { title: `${word} classic` });
    await call("PATCH", `/api/v1/admin/products/${product.id}`, { token: await adminToken(), headers: { "If-Match": '"1"' }, body: { categoryId: category.id } });
    const put = (path: string, body: unknown) => admin("PUT", path, body);
    expect((await put(`/products/${product.id}/translations/de`, { title: `Teekanne ${word}`, description: "Für grünen Tee." })).status).toBe(200);
    expect((await put(`/variants/${product.variants[0].id}/translations/de`, { title: "Standard" })).status).toBe(200);
    expect((await put(`/categories/${category.id}/translations/de`, { title: "Küchendinge" })).status).toBe(200);
    expect((await put(`/collections/${collection.id}/translations/de`, { title: "Winterauswahl", description: "Warm." })).status).toBe(200);

    const german = await call("GET", `${STORE}/products/${product.id}`, { headers: { "Accept-Language": "de-AT, en;q=0.5" } });
    expect(german.headers.get("Content-Language")).toBe("de");
    expect(german.json).toMatchObject({ title: `Teekanne ${word}`, description: "Für grünen Tee.", category: { name: "Küchendinge" }, variants: [{ title: "Standard" }] });
    const french = await call("GET", `${STORE}/products/${product.id}?locale=fr`);
    expect(french.headers.get("Content-Language")).toBe("fr");
    expect(french.json.title).toBe(`${word} classic`);
    const collections = await call("GET", `${STORE}/collections?locale=de`);
    expect(collections.json.data.find((c: { id: string }) => c.id === collection.id)).toMatchObject({ title: "Winterauswahl", description: "Warm." });
    expect((await admin("GET", `/products/${product.id}/translations`)).json).toEqual([{ locale: "de", title: `Teekanne ${word}`, description: "Für grünen Tee." }]);
  });

  it("searches the translated text in the shopper's language (and the default text there too)", async () => {
    const word = unique("Kettle");
    const product = await pricedProduct({ USD: 3000, EUR: 2900 }, { title: `${word} steel` });
    await admin("PUT", `/products/${product.id}/translations/de`, { title: `Wasserkocher ${word}x`, description: "Edelstahl" });
    const search = (q: string, locale: string) => call("GET", `${STORE}/products?q=${encodeURIComponent(q)}&locale=${locale}`);
    expect((await search("Edelstahl", "de")).json.data.map((p: { id: string }) => p.id)).toContain(product.id);
    expect((await search("Edelstahl", "en")).json.data.map((p: { id: string }) => p.id)).not.toContain(product.id);
    expect((await search(word, "de")).json.data.map((p: { id: string }) => p.id)).toEqual([product.id]);
    const ranked = await search(`${word}x`, "de");
    expect(ranked.json.data[0]).toMatchObject({ id: product.id, title: `Wasserkocher ${word}x` });
  });

  it("refuses a translation of something that does not exist (404) or in a malformed locale (422), and removes one", async () => {
    expect((await admin("PUT", "/products/prod_nope/translations/de", { title: "X" })).status).toBe(404);
    expect((await admin("PUT", "/products/prod_nope/translations/not_a_locale!", { title: "X" })).status).toBe(422);
    const product = await pricedProduct({ USD: 100 });
    await admin("PUT", `/products/${product.id}/translations/fr`, { title: "Bonjour" });
    expect((await admin("DELETE", `/products/${product.id}/translations/fr`)).status).toBe(204);
    expect((await call("GET", `${STORE}/products/${product.id}?locale=fr`)).json.title).toBe(product.title);
  });
});

describe("admin: regions, tax rates, shipping methods, prices per currency", () => {
  it("keeps exactly one default region, and will not delete it", async () => {
    const code = `T${Date.now().toString(36).slice(-6).toUpperCase()}`;
    expect((await admin("POST", "/regions", { code, name: "Test", currency: "CHF", countries: ["CH"] })).json.isDefault).toBe(false);
    expect((await admin("POST", "/regions", { code, name: "Again", currency: "CHF" })).status).toBe(409);
    expect((await admin("POST", "/regions", { code: "BAD", name: "Bad", currency: "CHF", countries: ["XX"] })).status).toBe(422);
    expect((await admin("PATCH", `/regions/${code}`, { isDefault: true })).json.isDefault).toBe(true);
    const regions = (await admin("GET", "/regions")).json as { code: string; isDefault: boolean }[];
    expect(regions.filter((r) => r.isDefault).map((r) => r.code)).toEqual([code]);
    expect((await admin("DELETE", `/regions/${code}`)).status).toBe(409);
    expect((await admin("PATCH", "/regions/US", { isDefault: true })).status).toBe(200);
    expect((await admin("DELETE", `/regions/${code}`)).status).toBe(204);
    expect((await call("GET", `${STORE}/regions`)).json.map((r: { code: string }) => r.code)).toEqual(["US", "EU", "UK"]);
  });

  it("validates shipping methods and tax rates", async () => {
    expect((await admin("POST", "/shipping-methods", { regionCode: "EU", name: "Heavy", kind: "weight" })).status).toBe(422);
    expect((await admin("POST", "/shipping-methods", { regionCode: "EU", name: "Rates", kind: "weight", weightRates: [{ maxGrams: 500, amount: 1 }, { maxGrams: 100, amount: 2 }] })).status).toBe(422);
    expect((await admin("POST", "/shipping-methods", { regionCode: "EU", name: "Far", countries: ["US"] })).status).toBe(422);
    expect((await admin("POST", "/shipping-methods", { regionCode: "NOPE", name: "X" })).status).toBe(422);
    expect((await admin("POST", "/tax-rates", { countryCode: "DE", taxCategory: "standard", rateBps: 1600, name: "dup" })).status).toBe(409);
    const rate = await admin("POST", "/tax-rates", { countryCode: "AT", rateBps: 2000, name: "AT" });
    expect(rate.json).toMatchObject({ countryCode: "AT", provinceCode: null, taxCategory: "standard", rateBps: 2000 });
    expect((await admin("PATCH", `/tax-rates/${rate.json.id}`, { rateBps: 1000 })).json.rateBps).toBe(1000);
    expect((await admin("DELETE", `/tax-rates/${rate.json.id}`)).status).toBe(204);
  });

  it("sets a variant's prices per currency beside its own price, and refuses contradictions", async () => {
    const product = await pricedProduct({ USD: 1000, EUR: 950 });
    const variantId = product.variants[0].id;
    const patch = (body: unknown, version: number) => admin("PATCH", `/variants/${variantId}`, body, { "If-Match": `"${version}"` });
    expect((await patch({ prices: [{ amount: 800, currency: "GBP" }, { amount: 800, currency: "GBP" }] }, 1)).status).toBe(422);
    expect((await patch({ price: 1000, prices: [{ amount: 999, currency: "USD" }] }, 1)).status).toBe(422);
    const updated = await patch({ prices: [{ amount: 1100, currency: "USD" }, { amount: 850, currency: "GBP" }] }, 1);
    expect(updated.status).toBe(200);
    expect(updated.json.prices).toEqual([{ amount: 850, currency: "GBP" }, { amount: 1100, currency: "USD" }]);
    const eu = await call("GET", `${STORE}/products/${product.id}`, { headers: { "X-Region": "EU" } });
    expect(eu.json.variants[0].price).toBeNull();
    const uk = await call("GET", `${STORE}/products/${product.id}`, { headers: { "X-Region": "UK" } });
    expect(uk.json.priceRange).toEqual({ min: { amount: 850, currency: "GBP" }, max: { amount: 850, currency: "GBP" } });
  });
});
