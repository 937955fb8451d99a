/**
 * The read lane: cached catalog reads (GET /api/v1/store/products and /products/:idOrSlug)
 * answered before the router when nothing about the answer can differ from the last one.
 *
 * Every request first goes through the app as usual. When the app answers a GET 200 from this
 * isolate's memory (X-Cache HIT-MEMORY), the lane keeps what that answer was made of: the page's
 * cache key and ETag, its route, and every header except the per-request ones (X-Request-Id,
 * RateLimit, RateLimit-Policy). The next request with the same path and query and the same
 * market, CORS and cache inputs (Origin, X-Region, CF-IPCountry, the edge's country,
 * Accept-Language) is answered from that record when, right now:
 * - the page is still fresh in memory under the current catalog generation with the same ETag
 *   (`peekFresh`: an admin write, a refresh that changed the page, or a stale entry sends the
 *   request through the app, which refreshes and records again);
 * - the limiter admits it: a lease slot this isolate holds for the caller's key (`spendHeldLease`),
 *   else the RateLimiterDO's answer (`consume`, exactly as the middleware asks); a refusal goes to
 *   the app, which answers the 429;
 * - the request carries neither If-None-Match nor X-D1-Bookmark (the app handles 304s and
 *   read-your-writes).
 * The answer then has the same status, body and headers as the app's, and the same log line and
 * analytics point (`recordRequest`). A record lives at most TTL.memoryFreshMs, the staleness the
 * memory layer already allows. What this skips is the fixed cost measured in
 * docs/performance.md "Reads next to a bare Worker": routing, ten middleware layers, query validation, market resolution,
 * and building the answer's headers one by one.
 */
import { getConfig, type Config } from "../env";
import { createLogger, type Logger } from "../lib/log";
import { Lru } from "../lib/lru";
import { peekFresh, TTL } from "../modules/catalog/cache";
import { answeredFromMemory } from "../modules/catalog/http-cache";
import { limitField, policyField } from "../modules/rate-limit/headers";
import { policyFor, routeGroup, type Policy, type PolicyName } from "../modules/rate-limit/policies";
import { consume, spendHeldLease } from "../modules/rate-limit/service";
import { ipKeyOf } from "./middleware/rate-limit";
import { recordRequest, requestIdOf, type RequestRecord } from "./middleware/request-context";

const PRODUCTS = "/api/v1/store/products";
/** Headers that differ per request: never recorded, always made afresh. */
const PER_REQUEST = new Set(["x-request-id", "ratelimit", "ratelimit-policy"]);

/** `headers`: built once; workerd copies a Headers object into a new Response faster than it reads a list of pairs. */
type Recorded = { key: string; etag: string; route: string; headers: Headers };
type Lane = { records: Lru<Recorded>; policies: Map<PolicyName, Policy>; config?: object; answered: number };

// Keyed by the env object like the catalog cache (one per isolate in production, one per test file).
const lanes = new WeakMap<object, Lane>();

function laneOf(env: Env): Lane {
  let lane = lanes.get(env);
  if (!lane) {
    lane = { records: new Lru<Recorded>({ maxEntries: 1_000, maxBytes: 2 * 1024 * 1024 }), policies: new Map(), answered: 0 };
    lanes.set(env, lane);
  }
  return lane;
}

/** The path of a catalog read the lane may answer (list or one product), else null. */
function catalogReadPath(request: Request): string | null {
  if (request.method !== "GET") return null;
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0 || !url.startsWith(PRODUCTS, start)) return null;
  const query = url.indexOf("?", start);
  const end = query < 0 ? url.length : query;
  const rest = end - start - PRODUCTS.length;
  // "/api/v1/store/products" or "/api/v1/store/products/<one segment>", nothing deeper (reviews…).
  if (rest === 0) return url.slice(start, end);
  if (url.charCodeAt(start + PRODUCTS.length) !== 47 || rest < 2) return null;
  const slash = url.indexOf("/", start + PRODUCTS.length + 1);
  return slash >= 0 && slash < end ? null : url.slice(start, end);
}

/** Everything besides the URL that the app's answer to a catalog read depends on. */
function recordKey(request: Request, cf: RequestRecord["cf"]): string | null {
  const h = request.headers;
  if (h.has("If-None-Match") || h.has("X-D1-Bookmark")) return null;
  const url = request.url;
  return `${url.slice(url.indexOf("/", url.indexOf("//") + 2))}\n${h.get("Origin") ?? ""}\n${h.get("X-Region") ?? ""}\n${h.get("CF-IPCountry") ?? ""}\n${cf?.country ?? ""}\n${h.get("Accept-Language") ?? ""}`;
}

function policyOf(lane: Lane, config: Config, name: PolicyName): Policy {
  if (lane.config !== config) {
    lane.policies.clear();
    lane.config = config;
  }
  let policy = lane.policies.get(name);
  if (!policy) lane.policies.set(name, (policy = policyFor(config, name)));
  return policy;
}

type Ready = { env: Env; lane: Lane; recorded: Recorded; body: string; cf: RequestRecord["cf"]; started: number };

function respond(r: Ready, requestId: string, logger: Logger, limitHeaders: [string, string] | null): Response {
  const response = new Response(r.body, { status: 200, headers: r.recorded.headers });
  response.headers.set("X-Request-Id", requestId);
  if (limitHeaders) {
    response.headers.set("RateLimit-Policy", limitHeaders[0]);
    response.headers.set("RateLimit", limitHeaders[1]);
  }
  r.lane.answered += 1;
  recordRequest(r.env, logger, { method: "GET", route: r.recorded.route, status: 200, started: r.started, cache: "HIT-MEMORY", principal: undefined, cf: r.cf });
  return response;
}

/**
 * Without a lease slot the lane asks the RateLimiterDO itself, as the middleware would (same
 * deps, same warning on a fault, passing when it does not answer). A refusal goes to the app,
 * which asks again and answers the 429: a refused hit is not counted, so nothing counts twice.
 */
async function askThenRespond(r: Ready, request: Request, rateKey: string, policy: Policy, timeoutMs: number): Promise<Response | null> {
  const requestId = requestIdOf(request.headers.get("X-Request-Id"));
  const logger = createLogger({ requestId });
  const { decision } = await consume({ ns: r.env.RATE_LIMITER, logger, timeoutMs }, rateKey, policy);
  if (decision && !decision.allowed) return null;
  return respond(r, requestId, logger, decision ? [policyField(policy), limitField(policy, decision)] : null);
}

/** Answers a recorded catalog read, or null to let the app answer it. */
function answer(env: Env, request: Request, path: string, lane: Lane, key: string, cf: RequestRecord["cf"], started: number): Response | Promise<Response | null> | null {
  const now = Date.now();
  const recorded = lane.records.get(key, now);
  if (!recorded) return null;
  const page = peekFresh(env, recorded.key, now);
  if (!page || page.etag !== recorded.etag) {
    lane.records.delete(key);
    return null;
  }
  const ready: Ready = { env, lane, recorded, body: page.body, cf, started };
  const config = getConfig(env);
  let limitHeaders: [string, string] | null = null;
  // The same group, key and policy the rate-limit middleware would pick for this request.
  const group = config.RATE_LIMIT_ENABLED ? routeGroup("GET", path) : null;
  if (group) {
    if (group.keyBy !== "ip") return null;
    const policy = policyOf(lane, config, group.policy);
    const rateKey = ipKeyOf(request.headers.get("CF-Connecting-IP"));
    const decision = spendHeldLease(rateKey, policy, now);
    if (!decision) return askThenRespond(ready, request, rateKey, policy, config.RATE_LIMIT_TIMEOUT_MS);
    limitHeaders = [policyField(policy), limitField(policy, decision)];
  }
  const requestId = requestIdOf(request.headers.get("X-Request-Id"));
  return respond(ready, requestId, createLogger({ requestId }), limitHeaders);
}

/** Remembers how the app answered a catalog read from memory, for the next identical request. */
function remember(request: Request, response: Response, lane: Lane, key: string): void {
  const served = answeredFromMemory.get(request);
  if (!served || response.status !== 200) return;
  const headers = new Headers();
  let bytes = 256;
  for (const [name, value] of response.headers) {
    if (PER_REQUEST.has(name)) continue;
    headers.append(name, value);
    bytes += name.length + value.length;
  }
  lane.records.set(key, { ...served, headers }, bytes * 2 + key.length * 2, Date.now() + TTL.memoryFreshMs);
}

/** How many requests the lane has answered for this env (one per isolate in production). */
export function readLaneAnswers(env: Env): number {
  return lanes.get(env)?.answered ?? 0;
}

type Fetch = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

/** Wraps the app's fetch with the read lane. */
export function withReadLane(appFetch: Fetch): Fetch {
  return (request, env, ctx) => {
    const started = performance.now();
    const path = catalogReadPath(request);
    if (path === null) return appFetch(request, env, ctx);
    const cf = request.cf as RequestRecord["cf"];
    const key = recordKey(request, cf);
    if (key === null) return appFetch(request, env, ctx);
    const lane = laneOf(env);
    const viaApp = () =>
      Promise.resolve(appFetch(request, env, ctx)).then((response) => {
        remember(request, response, lane, key);
        return response;
      });
    let fast: ReturnType<typeof answer>;
    try {
      fast = answer(env, request, path, lane, key, cf, started);
    } catch {
      // Whatever went wrong (bad config, say), the app answers it with its error envelope.
      return viaApp();
    }
    if (fast instanceof Promise) return fast.then((response) => response ?? viaApp());
    return fast ?? viaApp();
  };
}
