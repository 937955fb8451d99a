/**
 * Rate-limit policies per route group (DESIGN.md "Rate limiting"): each is a config var
 * ("limit/windowSeconds"), all scaled by RATE_LIMIT_MULTIPLIER, and `routeGroup` maps a
 * request to the group whose policy applies.
 */
import type { Config } from "../../env";

export type PolicyName = "storeRead" | "auth" | "loginEmail" | "cart" | "checkout" | "admin" | "webhook" | "giftCard" | "default";

export type Policy = { name: PolicyName; limit: number; windowSeconds: number };

const CONFIG_KEYS = {
  storeRead: "RATE_LIMIT_STORE_READ",
  auth: "RATE_LIMIT_AUTH",
  loginEmail: "RATE_LIMIT_LOGIN_EMAIL",
  cart: "RATE_LIMIT_CART",
  checkout: "RATE_LIMIT_CHECKOUT",
  admin: "RATE_LIMIT_ADMIN",
  webhook: "RATE_LIMIT_WEBHOOK",
  giftCard: "RATE_LIMIT_GIFT_CARD",
  default: "RATE_LIMIT_DEFAULT",
} as const satisfies Record<PolicyName, keyof Config>;

/** The policy as configured, scaled by the multiplier; never below one request per window. */
export function policyFor(config: Config, name: PolicyName): Policy {
  const { limit, windowSeconds } = config[CONFIG_KEYS[name]];
  return { name, limit: Math.max(1, Math.floor(limit * config.RATE_LIMIT_MULTIPLIER)), windowSeconds };
}

/** Paths that are never limited: probes and docs must answer even under attack. */
const EXEMPT = new Set(["/healthz", "/openapi.json", "/docs"]);

/** Counted by the GraphQL handler itself (src/graphql/rate-limit.ts), not by the middleware. */
export const GRAPHQL_PATH = "/graphql";

/** `user` groups are keyed by the signed-in user when there is one; the rest by client IP. */
export type RouteGroup = { policy: PolicyName; keyBy: "ip" | "user" };

/** Which policy limits a request, or null for exempt paths. */
export function routeGroup(method: string, path: string): RouteGroup | null {
  if (EXEMPT.has(path) || method === "OPTIONS") return null;
  // GraphQL counts each request by what it does (a cart mutation as a cart write), once parsed.
  if (path === GRAPHQL_PATH) return null;
  const read = method === "GET" || method === "HEAD";
  // Credential endpoints are what guessing targets; reading one's own profile is ordinary traffic.
  if (path.startsWith("/api/v1/auth/")) return read ? { policy: "default", keyBy: "ip" } : { policy: "auth", keyBy: "ip" };
  if (path.startsWith("/api/v1/admin/")) return { policy: "admin", keyBy: "ip" };
  // A payment provider sends every shop's events from a handful of addresses, in bursts during a
  // sale; a 429 there delays payment confirmations until checkouts expire and paid stock is lost.
  // So webhooks get their own, high per-IP policy instead of the anonymous default. Not none: the
  // limit is checked before the signature (the body must be read first), and a cap per address
  // still bounds what a forger can make us verify. See docs/security.md "Webhooks".
  if (path.startsWith("/api/v1/webhooks/")) return { policy: "webhook", keyBy: "ip" };
  // Every way of trying a gift-card code counts per address, low, so codes cannot be guessed
  // (a guesser signs up many accounts far more easily than it changes address).
  if (path.startsWith("/api/v1/store/gift-cards/") || (method === "POST" && path === "/api/v1/store/cart/gift-cards")) return { policy: "giftCard", keyBy: "ip" };
  if (path.startsWith("/api/v1/store/")) {
    if (read) return { policy: "storeRead", keyBy: "ip" };
    // Paying an exchange's price difference charges a card like a checkout, under the same limit.
    if (path.startsWith("/api/v1/store/checkouts") || (path.startsWith("/api/v1/store/returns/") && path.endsWith("/payment"))) return { policy: "checkout", keyBy: "user" };
    if (path.startsWith("/api/v1/store/cart")) return { policy: "cart", keyBy: "user" };
    return { policy: "default", keyBy: "user" };
  }
  return { policy: "default", keyBy: "ip" };
}
