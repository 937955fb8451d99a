/**
 * The market of a store or GraphQL request: its region (?region, X-Region, the request's country,
 * the default) and language (?locale, Accept-Language, the default). Every answer says which it
 * used (X-Region, Content-Language) and varies on both, so no cache ever serves one region's
 * prices or one language's text to another.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { getConfig } from "../../env";
import { readContext } from "../../modules/catalog/http-cache";
import { marketFor, type Market } from "../../modules/markets/context";
import type { AppEnv } from "../types";

/**
 * The shopper's country: Cloudflare's `request.cf.country` in production. Locally cf is a fixed
 * fallback, so outside production a `CF-IPCountry` header (what Cloudflare's own header is called)
 * wins, which lets developers and tests play shoppers anywhere.
 */
export function requestCountry(c: Context<AppEnv>): string | null {
  const cf = (c.req.raw.cf as { country?: string } | undefined)?.country;
  const header = getConfig(c.env).ENVIRONMENT !== "production" ? c.req.header("CF-IPCountry") : undefined;
  const country = header ?? cf;
  return country && /^[A-Za-z]{2}$/.test(country) ? country.toUpperCase() : null;
}

export const marketContext = createMiddleware<AppEnv>(async (c, next) => {
  const market = await marketFor(readContext(c), {
    regionParam: c.req.query("region"),
    regionHeader: c.req.header("X-Region"),
    country: requestCountry(c),
    localeParam: c.req.query("locale"),
    acceptLanguage: c.req.header("Accept-Language"),
  });
  c.set("market", market);
  await next();
  c.res.headers.set("X-Region", c.get("answerRegion") ?? market.region.code);
  c.res.headers.set("Content-Language", market.locale);
  c.res.headers.append("Vary", "X-Region, Accept-Language");
});

/** The request's market (set by marketContext on store and GraphQL routes). */
export function marketOf(c: Context<AppEnv>): Market {
  const market = c.get("market");
  if (!market) throw new Error("marketContext is not mounted on this route");
  return market;
}
