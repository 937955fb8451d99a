/**
 * The market of a request: which region it is served in (its currency and tax mode) and in which
 * language. The configuration (regions, tax rates, shipping methods) is read through the catalog
 * cache like any catalog page, so working out the market costs no D1 round trip on a warm isolate;
 * admin writes to it start a new catalog generation that also renews the configuration's entries,
 * while other catalog writes leave those in place.
 */
import { getConfig } from "../../env";
import { AppError } from "../../lib/errors";
import { serveCached, type ReadContext } from "../catalog/cache";
import type { CatalogMarket } from "../catalog/repo";
import { loadMarketConfig, type MarketConfig } from "./repo";
import type { AdminRegion } from "./schemas";
import { canonicalLocale } from "./translations";

export type Market = {
  region: AdminRegion;
  /** The request named its region (?region or X-Region): a cart made elsewhere moves to it. */
  explicit: boolean;
  /** The language answers are written in (one of LOCALES). */
  locale: string;
  defaultLocale: string;
  /** The shopper's country as the edge saw it, if known. */
  country: string | null;
  config: MarketConfig;
};

export type MarketRequest = {
  regionParam?: string | null;
  regionHeader?: string | null;
  country?: string | null;
  localeParam?: string | null;
  acceptLanguage?: string | null;
};

export const CONFIG_CACHE_KEY = "markets:config";
/** Parsed configurations by ETag: a warm isolate parses each generation's configuration once. */
const parsed = new Map<string, MarketConfig>();

/** The market configuration, through the catalog cache layers. */
export async function marketConfig(read: ReadContext): Promise<MarketConfig> {
  // Keyed by the market generation: a catalog write does not make the next read load it again.
  const answer = await serveCached(read, CONFIG_CACHE_KEY, loadMarketConfig, "markets");
  const known = parsed.get(answer.etag);
  if (known) return known;
  const config = JSON.parse(answer.body) as MarketConfig;
  if (parsed.size > 16) parsed.clear();
  parsed.set(answer.etag, config);
  return config;
}

/** Until an admin configures regions, the shop sells in one implicit region (USD, tax mode from PRICES_INCLUDE_TAX). */
export function implicitRegion(env: Env): AdminRegion {
  return { code: "default", name: "Default", currency: "USD", countries: [], taxInclusive: getConfig(env).PRICES_INCLUDE_TAX, isDefault: true, position: 0, version: 1 };
}

/** The regions the store sells in (the implicit one while none is configured). */
export function regionsOf(env: Env, config: MarketConfig): AdminRegion[] {
  return config.regions.length > 0 ? config.regions : [implicitRegion(env)];
}

export function defaultRegion(env: Env, config: MarketConfig): AdminRegion {
  const regions = regionsOf(env, config);
  return regions.find((r) => r.isDefault) ?? regions[0]!;
}

export function regionByCode(env: Env, config: MarketConfig, code: string | null | undefined): AdminRegion | null {
  if (!code) return null;
  return regionsOf(env, config).find((r) => r.code === code) ?? null;
}

const unknownRegion = (code: string, from: string) =>
  new AppError("VALIDATION_ERROR", `Unknown region ${code}`, 422, { issues: [{ path: from, message: "no such region; GET /api/v1/store/regions lists them" }] });

/** ?region, then X-Region, then the region holding the request's country, then the default. */
function pickRegion(env: Env, config: MarketConfig, req: MarketRequest): { region: AdminRegion; explicit: boolean } {
  for (const [raw, from] of [[req.regionParam, "region"], [req.regionHeader, "X-Region"]] as const) {
    if (!raw) continue;
    const code = raw.trim().toUpperCase();
    const region = regionByCode(env, config, code) ?? (code === "DEFAULT" ? regionByCode(env, config, "default") : null);
    if (!region) throw unknownRegion(code.slice(0, 16), from);
    return { region, explicit: true };
  }
  const country = req.country?.toUpperCase();
  const byCountry = country ? regionsOf(env, config).find((r) => r.countries.includes(country)) : undefined;
  return { region: byCountry ?? defaultRegion(env, config), explicit: false };
}

/** Accept-Language's tags by preference (q), best first; malformed parts are skipped. */
export function preferredLanguages(header: string | null | undefined): string[] {
  if (!header) return [];
  return header
    .split(",")
    .slice(0, 20)
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([01](\.\d{0,3})?)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((p) => /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(p.tag) && p.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((p) => p.tag);
}

/** The supported locale a tag asks for: exact (case-insensitive), else by its language. */
function matchLocale(tag: string, supported: readonly string[]): string | null {
  const lower = tag.toLowerCase();
  const exact = supported.find((l) => l.toLowerCase() === lower);
  if (exact) return exact;
  const language = lower.split("-")[0];
  return supported.find((l) => l.toLowerCase().split("-")[0] === language) ?? null;
}

/** ?locale, else the best Accept-Language match, else the default (the first of LOCALES). */
export function negotiateLocale(supported: readonly string[], localeParam?: string | null, acceptLanguage?: string | null): string {
  if (localeParam) {
    if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/.test(localeParam)) {
      throw new AppError("VALIDATION_ERROR", "Invalid locale", 422, { issues: [{ path: "locale", message: "a language tag such as de or pt-BR" }] });
    }
    return matchLocale(localeParam, supported) ?? supported[0]!;
  }
  for (const tag of preferredLanguages(acceptLanguage)) {
    const match = matchLocale(tag, supported);
    if (match) return match;
  }
  return supported[0]!;
}

/** Works the market out of a request's hints and the configuration (pure). */
export function resolveMarket(env: Env, config: MarketConfig, req: MarketRequest): Market {
  const locales = getConfig(env).LOCALES.map(canonicalLocale);
  const { region, explicit } = pickRegion(env, config, req);
  return {
    region,
    explicit,
    locale: negotiateLocale(locales, req.localeParam, req.acceptLanguage),
    defaultLocale: locales[0]!,
    country: req.country?.toUpperCase() ?? null,
    config,
  };
}

/** The market of a request, loading the configuration through the cache. */
export async function marketFor(read: ReadContext, req: MarketRequest = {}): Promise<Market> {
  return resolveMarket(read.env, await marketConfig(read), req);
}

/** For callers without a request (services called directly): the default region, default language. */
export function defaultMarket(env: Env): Promise<Market> {
  return marketFor({ env, waitUntil: (promise) => void promise.catch(() => undefined) });
}

export type { CatalogMarket };

export const catalogMarketOf = (market: Market): CatalogMarket => ({
  region: market.region.code,
  currency: market.region.currency,
  locale: market.locale,
  defaultLocale: market.defaultLocale,
});
