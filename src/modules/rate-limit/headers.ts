/**
 * `RateLimit-Policy` and `RateLimit` fields of the IETF httpapi draft
 * (draft-ietf-httpapi-ratelimit-headers): `"<policy>";q=<quota>;w=<window s>` and
 * `"<policy>";r=<remaining>;t=<seconds until reset>`; over the limit, 429 with `Retry-After`.
 */
import { AppError } from "../../lib/errors";
import type { Policy } from "./policies";
import type { WindowDecision } from "./window";

export function policyField(policy: Policy): string {
  return `"${policy.name}";q=${policy.limit};w=${policy.windowSeconds}`;
}

export function limitField(policy: Policy, decision: WindowDecision): string {
  const reset = Math.ceil((decision.allowed ? decision.resetMs : decision.retryAfterMs) / 1000);
  return `"${policy.name}";r=${decision.remaining};t=${reset}`;
}

/** 429 RATE_LIMITED carrying the headers the error handler copies onto the envelope. */
export class RateLimitedError extends AppError {
  readonly headers: Record<string, string>;
  constructor(policy: Policy, decision: WindowDecision) {
    const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    super("RATE_LIMITED", "Too many requests, retry later", 429, { policy: policy.name, retryAfterSeconds: retryAfter });
    this.headers = {
      "Retry-After": String(retryAfter),
      "RateLimit-Policy": policyField(policy),
      RateLimit: limitField(policy, decision),
    };
  }
}
