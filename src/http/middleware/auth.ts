/**
 * Authentication and authorization. `requireAuth` accepts a Bearer access token; `requireAdmin`
 * accepts an ADMIN token or an `X-Api-Key` whose scopes cover the route's area and method.
 */
import { createMiddleware } from "hono/factory";
import { getConfig } from "../../env";
import { scopeFor, scopesAllow, type ScopeArea } from "../../modules/api-keys/scopes";
import { findActiveApiKey } from "../../modules/api-keys/service";
import { verifyAccessToken } from "../../modules/auth/tokens";
import { forbidden, unauthenticated } from "../../lib/errors";
import type { AppEnv, Principal } from "../types";

/** The principal of a Bearer header: null without one; UNAUTHENTICATED for a malformed or invalid token. */
export async function bearerPrincipal(env: Env, header: string | undefined): Promise<Principal | null> {
  if (!header) return null;
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
  if (!match) throw unauthenticated("Malformed Authorization header");
  const claims = await verifyAccessToken(getConfig(env).JWT_SECRET, match[1]!);
  if (!claims) throw unauthenticated("Invalid or expired access token");
  return { kind: "user", ...claims };
}

/** Any signed-in user (CUSTOMER or ADMIN). */
export function requireAuth() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = await bearerPrincipal(c.env, c.req.header("Authorization"));
    if (!principal) throw unauthenticated();
    c.set("principal", principal);
    await next();
  });
}

/** An ADMIN user token, or an API key holding the scope this route and method need. */
export function requireAdmin(area: ScopeArea) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const apiKey = c.req.header("X-Api-Key");
    const bearer = c.req.header("Authorization");
    if (!bearer && !apiKey) throw unauthenticated();
    // Every credential presented must be valid: a bad key beside a good token is still refused.
    const [principal, key] = await Promise.all([bearer ? bearerPrincipal(c.env, bearer) : null, apiKey ? findActiveApiKey(c.env.DB, apiKey) : null]);
    if (apiKey && !key) throw unauthenticated("Invalid API key");
    if (bearer) {
      if (principal?.kind !== "user" || principal.role !== "ADMIN") throw forbidden("Admin role required");
      c.set("principal", principal);
    } else if (key) {
      if (!scopesAllow(key.scopes, scopeFor(area, c.req.method))) throw forbidden("API key lacks the scope");
      c.set("principal", { kind: "apiKey", keyId: key.id, scopes: key.scopes });
    }
    await next();
  });
}

/** The signed-in user's id; for use after `requireAuth`. */
export function currentUserId(principal: Principal | undefined): string {
  if (principal?.kind !== "user") throw unauthenticated();
  return principal.userId;
}
