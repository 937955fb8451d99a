import type { Logger } from "../lib/log";
import type { Market } from "../modules/markets/context";

export type Principal =
  | { kind: "user"; userId: string; role: "ADMIN" | "CUSTOMER"; tokenId: string }
  | { kind: "apiKey"; keyId: string; scopes: string[] };

/** Hono's environment for this app: bindings plus per-request values set by middleware. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal?: Principal;
    logger: Logger;
    /** Set by catalog routes so the request log and metrics know how the answer was served. */
    cacheStatus?: string;
    /** Set by the rate limiter for the request log. */
    rateLimitKey?: string;
    /** Store and GraphQL requests: the region and language they are served in (market middleware). */
    market?: Market;
    /** The region an answer was actually priced in when it is not the request's (a cart keeps its own). */
    answerRegion?: string;
  };
};
