/**
 * RateLimiterDO: a sliding window per client key (DESIGN.md "Rate limiting"). Its RPC surface
 * arrives with the rate-limiting issue (#6); the class exists now so the binding is final.
 */
import { DurableObject } from "cloudflare:workers";

export class RateLimiterDO extends DurableObject<Env> {}
