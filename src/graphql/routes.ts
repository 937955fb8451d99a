/**
 * POST /graphql and GET /graphql (queries, persisted queries, and the explorer for a browser).
 * The order of work: read the request → resolve a persisted query → parse and validate (cached)
 * → plan: operation, variables, limits (cached, plan.ts) → rate limits by what the operation
 * does → execute. A query of public catalog fields only is answered through the catalog cache
 * layers (ETag, X-Cache, 304, and Cache-Control that lets the edge keep a GET); anything else is
 * private and never stored.
 */
import type { GraphQLSchema } from "graphql";
import type { OpenAPIHono } from "@hono/zod-openapi";
import * as z from "zod";
import { Hono, type Context } from "hono";
import { explorerMode, getConfig, type ExplorerMode } from "../env";
import { reportError, scrub } from "../http/error-reporting";
import { bearerPrincipal } from "../http/middleware/auth";
import { marketOf } from "../http/middleware/market";
import { limitRequest } from "../http/middleware/rate-limit";
import { jsonBody, jsonContent } from "../http/openapi";
import type { AppEnv } from "../http/types";
import { AppError } from "../lib/errors";
import { randomToken } from "../lib/crypto";
import { serveCached, type CacheStatus } from "../modules/catalog/cache";
import { marketKey } from "../modules/catalog/service";
import { catalogMarketOf } from "../modules/markets/context";
import { etagMatches, PUBLIC_CACHE_CONTROL, readContext } from "../modules/catalog/http-cache";
import { RateLimitedError } from "../modules/rate-limit/headers";
import { GRAPHQL_PATH } from "../modules/rate-limit/policies";
import { createContext, type Auth } from "./context";
import { cacheableErrors, requestError, stampRequestId, type FormattedError, type FormattedResult } from "./errors";
import { prepare, run, type Prepared } from "./execute";
import { EXPLORER_HEADER, explorerCsp, explorerPage } from "./explorer";
import { GraphQLRequestBody, GraphQLResponse, readBody, readQueryString, responseMedia, type GraphQLParams, type ReadOutcome } from "./http";
import { findPersisted, hashMatches, registerPersisted } from "./persisted";
import { planOf } from "./plan";
import { storefrontSchema } from "./schema";

export const graphqlRoutes = new Hono<AppEnv>();

type Media = ReturnType<typeof responseMedia>;
type Ready = { schema: GraphQLSchema; prepared: Prepared; params: GraphQLParams };

function send(c: Context<AppEnv>, media: Media, status: number, result: FormattedResult, headers: Record<string, string> = {}) {
  return c.body(JSON.stringify(result), status as 200, { ...headers, "Content-Type": media.type });
}

/**
 * A request refused before execution still counts: against the default policy, as junk would on
 * REST — except an unknown persisted query, a normal step of APQ, which is a store read.
 */
async function refuse(c: Context<AppEnv>, media: Media, status: number, errors: FormattedError[], headers: Record<string, string> = {}) {
  const apqStep = errors.length === 1 && errors[0]!.extensions.code === "PERSISTED_QUERY_NOT_FOUND";
  await limitRequest(c, { policy: apqStep ? "storeRead" : "default", keyBy: "ip" });
  return send(c, media, status, stampRequestId({ errors }, c.get("requestId")), headers);
}

function onFault(c: Context<AppEnv>) {
  return (error: unknown) => {
    c.get("logger")?.error("unhandled_error", {
      name: error instanceof Error ? error.name : typeof error,
      message: error instanceof Error ? scrub(error.message).slice(0, 300) : null,
    });
    reportError(c, error);
  };
}

async function authOf(c: Context<AppEnv>): Promise<Auth> {
  try {
    return { principal: await bearerPrincipal(c.env, c.req.header("Authorization")), error: null };
  } catch (error) {
    if (error instanceof AppError) return { principal: null, error };
    throw error;
  }
}

/** The query text of a request, registering or looking up a persisted query (APQ). */
async function queryText(c: Context<AppEnv>, params: GraphQLParams): Promise<{ text: string } | { error: FormattedError }> {
  const hash = params.persistedHash;
  if (!hash) return { text: params.query! };
  if (params.query) {
    if (!(await hashMatches(params.query, hash))) return { error: requestError("VALIDATION_ERROR", "provided sha256Hash does not match the query") };
    return { text: params.query };
  }
  const stored = await findPersisted(c.env, hash);
  return stored === null ? { error: requestError("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound") } : { text: stored };
}

/** X-Cache of an answer built from several catalog reads: the slowest layer any of them used. */
function combinedStatus(statuses: CacheStatus[]): CacheStatus | null {
  if (statuses.length === 0) return null;
  if (statuses.includes("MISS")) return "MISS";
  return statuses.includes("HIT-KV") ? "HIT-KV" : "HIT-MEMORY";
}

class Uncacheable extends Error {}

/** A public catalog read through the catalog cache: one stored answer per query, operation and variables. */
async function answerCached(c: Context<AppEnv>, media: Media, ready: Ready, key: string): Promise<Response> {
  const auth: Auth = { principal: null, error: null };
  const { schema, prepared, params } = ready;
  const requestId = c.get("requestId");
  let uncached: FormattedResult | null = null;
  const market = marketOf(c);
  // The region and language are part of the answer, so they are part of its key.
  const answer = await serveCached(readContext(c), `${marketKey(catalogMarketOf(market))}:${key}`, async (db) => {
    const context = createContext({ env: c.env, requestId, db, read: readContext(c), auth, cachingAnswer: true, market });
    const result = await run(schema, prepared, params, context, onFault(c));
    if (cacheableErrors(result.errors)) return result;
    uncached = result;
    throw new Uncacheable();
  }).catch((error: unknown) => {
    if (error instanceof Uncacheable) return null;
    throw error;
  });
  if (!answer) return send(c, media, 200, stampRequestId(uncached!, requestId), { "Cache-Control": "private, no-store" });
  c.set("cacheStatus", answer.status);
  const headers = { ETag: answer.etag, "Cache-Control": PUBLIC_CACHE_CONTROL, "X-Cache": answer.status };
  if (c.req.method === "GET" && etagMatches(c.req.header("If-None-Match"), answer.etag)) return c.body(null, 304, headers);
  // Stored answers carry no request id; one with errors gets this request's.
  const body = answer.body.includes('"errors":') ? JSON.stringify(stampRequestId(JSON.parse(answer.body) as FormattedResult, requestId)) : answer.body;
  return c.body(body, 200, { ...headers, "Content-Type": media.type });
}

async function handle(c: Context<AppEnv>, read: ReadOutcome): Promise<Response> {
  const media = responseMedia(c);
  if (!read.ok) return refuse(c, media, 400, [requestError("VALIDATION_ERROR", read.message)]);
  const schema = storefrontSchema();
  const text = await queryText(c, read.params);
  if ("error" in text) return refuse(c, media, media.requestErrorStatus, [text.error]);
  const prepared = await prepare(schema, text.text);
  if (prepared.errors.length) return refuse(c, media, media.requestErrorStatus, prepared.errors);
  const plan = await planOf(schema, prepared, read.params.operationName, read.params.variables);
  if (!plan.ok) return refuse(c, media, media.requestErrorStatus, plan.errors);
  if (c.req.method === "GET" && plan.kind !== "query") {
    return refuse(c, media, 405, [requestError("VALIDATION_ERROR", "Only queries may be sent with GET; use POST")], { Allow: "POST" });
  }
  if (read.params.persistedHash && read.params.query) registerPersisted(c.env, (p) => c.executionCtx.waitUntil(p), prepared.hash, text.text);
  if (plan.kind === "mutation" && c.req.header(EXPLORER_HEADER) && explorerMode(getConfig(c.env)) === "read-only") {
    return refuse(c, media, 403, [requestError("FORBIDDEN", "The explorer is read-only here: queries only")]);
  }
  for (const group of plan.groups) await limitRequest(c, group);
  const ready: Ready = { schema, prepared, params: read.params };
  // A public read answers the same for everyone (that is what makes it cacheable): no token needed.
  if (plan.cacheKey) return answerCached(c, media, ready, plan.cacheKey);
  const auth = await authOf(c);
  const context = createContext({
    env: c.env,
    requestId: c.get("requestId"),
    db: c.env.DB,
    read: readContext(c),
    auth,
    cachingAnswer: false,
    market: marketOf(c),
    defer: (work) => c.executionCtx.waitUntil(work),
  });
  const result = await run(schema, prepared, read.params, context, onFault(c));
  const status = combinedStatus(context.cacheStatuses);
  if (status) c.set("cacheStatus", status);
  return send(c, media, 200, stampRequestId(result, c.get("requestId")), { "Cache-Control": "private, no-store", ...(status ? { "X-Cache": status } : {}) });
}

/** Rate limiting and faults answered in GraphQL's shape rather than the REST envelope. */
async function guard(c: Context<AppEnv>, work: () => Promise<Response>): Promise<Response> {
  const media = responseMedia(c);
  try {
    return await work();
  } catch (error) {
    if (error instanceof RateLimitedError) {
      return send(c, media, 429, stampRequestId({ errors: [requestError(error.code, error.message, error.details)] }, c.get("requestId")), error.headers);
    }
    onFault(c)(error);
    return send(c, media, 500, stampRequestId({ errors: [requestError("INTERNAL", "Internal error")] }, c.get("requestId")));
  }
}

function explorer(c: Context<AppEnv>, mode: Exclude<ExplorerMode, "off">): Response {
  const nonce = randomToken(16);
  c.header("Content-Security-Policy", explorerCsp(nonce));
  c.header("Cache-Control", "no-store");
  return c.html(explorerPage(storefrontSchema(), mode, nonce));
}

graphqlRoutes.get(GRAPHQL_PATH, (c) => {
  const mode = explorerMode(getConfig(c.env));
  const browser = (c.req.header("Accept") ?? "").includes("text/html") && !c.req.query("query") && !c.req.query("extensions");
  if (mode !== "off" && browser) return explorer(c, mode);
  return guard(c, () => handle(c, readQueryString(c)));
});

graphqlRoutes.post(GRAPHQL_PATH, (c) => guard(c, async () => handle(c, await readBody(c))));

const GetParams = z.object({
  query: z.string().optional(),
  variables: z.string().optional().openapi({ description: "JSON object" }),
  operationName: z.string().optional(),
  extensions: z.string().optional().openapi({ description: 'JSON, e.g. {"persistedQuery":{"version":1,"sha256Hash":"…"}}' }),
});
const answers = {
  200: jsonContent(GraphQLResponse, "The result; field errors are in `errors` with the REST codes in `extensions.code`"),
  400: jsonContent(GraphQLResponse, "The request could not be read (or failed validation, with Accept: application/graphql-response+json)"),
  429: jsonContent(GraphQLResponse, "Rate limited (RATE_LIMITED), with Retry-After"),
};

/** Lists /graphql in /openapi.json (the schema itself is docs/schema.graphql, described in docs/graphql.md). */
export function documentGraphQL(app: OpenAPIHono<AppEnv>): void {
  const common = { tags: ["GraphQL"], description: "The GraphQL storefront: see docs/graphql.md and docs/schema.graphql." };
  app.openAPIRegistry.registerPath({ method: "post", path: GRAPHQL_PATH, summary: "Run a GraphQL query or mutation", ...common, request: { body: jsonBody(GraphQLRequestBody) }, responses: answers });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: GRAPHQL_PATH,
    summary: "Run a GraphQL query (or a persisted query by hash); from a browser in development, the explorer",
    ...common,
    request: { query: GetParams },
    responses: { ...answers, 405: jsonContent(GraphQLResponse, "A mutation sent with GET") },
  });
}
