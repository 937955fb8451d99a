/**
 * Where the catalog fields read from. An answer that is itself stored in the catalog cache reads
 * straight from the D1 session of its cache fill (one cache entry per answer, not one per field
 * as well); any other answer reads each catalog field through the catalog cache layers, and
 * notes how each was served for X-Cache.
 */
import type { CacheAnswer, CacheStatus, ReadContext } from "../modules/catalog/cache";
import type { D1Like } from "../modules/catalog/repo";
import type { CategoryNode, Collection, Product, ProductListQuery } from "../modules/catalog/schemas";
import * as catalog from "../modules/catalog/service";
import type { CatalogMarket } from "../modules/markets/context";

type Connection = { edges: { cursor: string; node: Product }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

export type CatalogReads = {
  productEdges(query: ProductListQuery): Promise<Connection>;
  /** NOT_FOUND when there is no such active product. */
  product(idOrSlug: string): Promise<Product>;
  categories(): Promise<CategoryNode[]>;
  collections(): Promise<Collection[]>;
};

/** Reads for an answer being cached as a whole: straight from the fill's session. */
export function directReads(db: D1Like, market: CatalogMarket): CatalogReads {
  return {
    productEdges: (query) => catalog.readProductEdges(db, query, market),
    product: async (idOrSlug) => {
      const product = await catalog.readProduct(db, idOrSlug, market);
      if (!product) throw catalog.productNotFound();
      return product;
    },
    categories: async () => (await catalog.readCategoryTree(db, market)).data,
    collections: async () => (await catalog.readCollections(db, market)).data,
  };
}

/** Reads through the catalog cache layers, noting each answer's status. */
export function cachedReads(read: ReadContext, statuses: CacheStatus[], market: CatalogMarket): CatalogReads {
  const served = <T>(answer: CacheAnswer): T => {
    statuses.push(answer.status);
    return JSON.parse(answer.body) as T;
  };
  return {
    productEdges: async (query) => served(await catalog.listProductEdges(read, query, market)),
    product: async (idOrSlug) => served(await catalog.getProduct(read, idOrSlug, market)),
    categories: async () => served<{ data: CategoryNode[] }>(await catalog.listCategories(read, market)).data,
    collections: async () => served<{ data: Collection[] }>(await catalog.listCollections(read, market)).data,
  };
}
