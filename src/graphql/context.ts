/**
 * What every resolver receives: the Worker's bindings, who is asking, the per-request batch
 * loaders and the catalog read context. Built once per GraphQL request, never shared between
 * requests (loaders cache per request only).
 */
import type { AppError } from "../lib/errors";
import { unauthenticated } from "../lib/errors";
import type { Principal } from "../http/types";
import type { CacheStatus, ReadContext } from "../modules/catalog/cache";
import type { D1Like } from "../modules/catalog/repo";
import { catalogMarketOf, type Market } from "../modules/markets/context";
import { cachedReads, directReads, type CatalogReads } from "./catalog-reads";
import { createLoaders, type Loaders } from "./loaders";

export type Auth = { principal: Principal | null; error: AppError | null };

export type GraphQLContext = {
  env: Env;
  requestId: string;
  /** Reads of the batch loaders: the cache fill's D1 session for a cached answer, else the database. */
  db: D1Like;
  read: ReadContext;
  auth: Auth;
  /** The catalog fields' reads (straight from `db` when the whole answer is being cached). */
  catalog: CatalogReads;
  loaders: Loaders;
  /** How each catalog read of this request was served (X-Cache of the answer). */
  cacheStatuses: CacheStatus[];
  /** The request's region and language (X-Region, Accept-Language), as REST has them. */
  market: Market;
  /** Work that may finish after the answer (the request's waitUntil), as REST's payment route hands it over. */
  defer?: (work: Promise<unknown>) => void;
};

export function createContext(base: {
  env: Env;
  requestId: string;
  db: D1Like;
  read: ReadContext;
  auth: Auth;
  cachingAnswer: boolean;
  market: Market;
  defer?: (work: Promise<unknown>) => void;
}): GraphQLContext {
  const { cachingAnswer, ...rest } = base;
  const cacheStatuses: CacheStatus[] = [];
  const market = catalogMarketOf(base.market);
  const catalog = cachingAnswer ? directReads(base.db, market) : cachedReads(base.read, cacheStatuses, market);
  const context: GraphQLContext = { ...rest, catalog, cacheStatuses, loaders: undefined as unknown as Loaders };
  context.loaders = createLoaders(context);
  return context;
}

/**
 * The signed-in user's id, as `requireAuth` gives REST: a missing token and a bad one are both
 * UNAUTHENTICATED (the bad one with its own message).
 */
export function requireUser(context: GraphQLContext): string {
  if (context.auth.error) throw context.auth.error;
  const principal = context.auth.principal;
  if (principal?.kind !== "user") throw unauthenticated();
  return principal.userId;
}
