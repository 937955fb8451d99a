/**
 * Rate limiting per route group (DESIGN.md "Rate limiting"): every request outside the exempt
 * paths counts against its group's policy, keyed by client IP — or by the signed-in user for
 * cart, checkout and other store writes. Answers carry RateLimit-Policy / RateLimit; over the
 * limit they are 429 RATE_LIMITED with Retry-After. A limiter fault lets the request pass.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { getConfig } from "../../env";
import { sha256Hex } from "../../lib/crypto";
import { verifyAccessToken } from "../../modules/auth/tokens";
import { RateLimitedError, limitField, policyField } from "../../modules/rate-limit/headers";
import { policyFor, routeGroup, type PolicyName, type RouteGroup } from "../../modules/rate-limit/policies";
import { addressBucket } from "../../modules/rate-limit/client-ip";
import { consume, type LimitOutcome } from "../../modules/rate-limit/service";
import type { AppEnv } from "../types";
import { writeBusinessEvent } from "../../modules/analytics/events";

/**
 * The client IP as Cloudflare's edge saw it, bucketed: an IPv4 address, or an IPv6 address's /64
 * (one host can cycle through its whole /64; see client-ip.ts). X-Forwarded-For is set by the
 * client and never trusted; without a valid CF-Connecting-IP (local tests) every caller shares
 * the "unknown" key.
 */
function ipKey(c: Context<AppEnv>): string {
  return ipKeyOf(c.req.header("CF-Connecting-IP"));
}

let lastAddress: { header: string | undefined; key: string } | undefined;

/** The limiter key of a CF-Connecting-IP value (the last one is remembered: keep-alive clients repeat it). */
export function ipKeyOf(header: string | null | undefined): string {
  const value = header ?? undefined;
  if (lastAddress && lastAddress.header === value) return lastAddress.key;
  lastAddress = { header: value, key: `ip:${addressBucket(value) ?? "unknown"}` };
  return lastAddress.key;
}

/** The signed-in user's key from a valid access token; anything else falls back to the IP. */
async function userKey(c: Context<AppEnv>): Promise<string | null> {
  const match = /^Bearer (\S+)$/.exec(c.req.header("Authorization") ?? "");
  if (!match) return null;
  const claims = await verifyAccessToken(getConfig(c.env).JWT_SECRET, match[1]!);
  return claims ? `user:${claims.userId}` : null;
}

async function count(c: Context<AppEnv>, key: string, name: PolicyName): Promise<LimitOutcome> {
  const config = getConfig(c.env);
  const policy = policyFor(config, name);
  const outcome = await consume(
    { ns: c.env.RATE_LIMITER, logger: c.get("logger"), timeoutMs: config.RATE_LIMIT_TIMEOUT_MS },
    key,
    policy,
  );
  if (outcome.decision && !outcome.decision.allowed) {
    writeBusinessEvent(c.env.ANALYTICS, "rate_limited", { detail: name });
    throw new RateLimitedError(policy, outcome.decision);
  }
  return outcome;
}

/** Limits every request by its route group's policy and adds the RateLimit headers to the answer. */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const group = getConfig(c.env).RATE_LIMIT_ENABLED ? routeGroup(c.req.method, c.req.path) : null;
  if (!group) return next();
  const key = (group.keyBy === "user" ? await userKey(c) : null) ?? ipKey(c);
  c.set("rateLimitKey", key.slice(0, key.indexOf(":")));
  const { policy, decision } = await count(c, key, group.policy);
  await next();
  if (!decision) return;
  c.res.headers.append("RateLimit-Policy", policyField(policy));
  c.res.headers.append("RateLimit", limitField(policy, decision));
});

/**
 * Counts one request against a group's policy from inside a handler, for routes whose policy
 * depends on what the request does (GraphQL: a mutation that adds to a cart is a cart write).
 * Adds the RateLimit headers to the answer; throws RateLimitedError over the limit.
 */
export async function limitRequest(c: Context<AppEnv>, group: RouteGroup): Promise<void> {
  if (!getConfig(c.env).RATE_LIMIT_ENABLED) return;
  const key = (group.keyBy === "user" ? await userKey(c) : null) ?? ipKey(c);
  c.set("rateLimitKey", key.slice(0, key.indexOf(":")));
  const { policy, decision } = await count(c, key, group.policy);
  if (!decision) return;
  c.header("RateLimit-Policy", policyField(policy), { append: true });
  c.header("RateLimit", limitField(policy, decision), { append: true });
}

/**
 * The per-email limit of login, on top of the per-IP one, so guessing one account's password
 * from many addresses is slow too. The email is hashed: limiter keys may show up in logs.
 */
export async function limitLoginAttempts(c: Context<AppEnv>, email: string): Promise<void> {
  if (!getConfig(c.env).RATE_LIMIT_ENABLED) return;
  const { policy, decision } = await count(c, `email:${await sha256Hex(email)}`, "loginEmail");
  if (!decision) return;
  c.header("RateLimit-Policy", policyField(policy), { append: true });
  c.header("RateLimit", limitField(policy, decision), { append: true });
}
