/**
 * Per-request batch loaders (DataLoader): every product on a page asks for its reviews or
 * recommendations separately, and each loader answers all of them with one service call — a
 * bounded number of D1 statements whatever the page size (test/integration/graphql-batching).
 */
import DataLoader from "dataloader";
import type { CategoryNode, Product } from "../modules/catalog/schemas";
import { getStoreProducts } from "../modules/catalog/service";
import { catalogMarketOf, type Market } from "../modules/markets/context";
import { recommendationIdsFor } from "../modules/recommendations/service";
import type { Review } from "../modules/reviews/schemas";
import { approvedReviewsOfProducts } from "../modules/reviews/service";
import type { D1Like } from "../modules/catalog/repo";
import type { CatalogReads } from "./catalog-reads";

export type Loaders = {
  reviews: (first: number) => DataLoader<string, Review[]>;
  recommendations: (first: number) => DataLoader<string, string[]>;
  products: DataLoader<string, Product | null>;
  category: DataLoader<string, CategoryNode | null>;
};

/** One loader per distinct `first`, so `reviews(first: 3)` and `reviews(first: 5)` batch apart. */
function perFirst<V>(make: (first: number) => DataLoader<string, V>) {
  const loaders = new Map<number, DataLoader<string, V>>();
  return (first: number) => {
    let loader = loaders.get(first);
    if (!loader) loaders.set(first, (loader = make(first)));
    return loader;
  };
}

function flatten(nodes: CategoryNode[], into = new Map<string, CategoryNode>()) {
  for (const node of nodes) {
    into.set(node.id, node);
    flatten(node.children, into);
  }
  return into;
}

/** `context` is the request's GraphQLContext (its D1 handle, catalog reads and market). */
export function createLoaders(context: { db: D1Like; catalog: CatalogReads; market: Market }): Loaders {
  return {
    reviews: perFirst(
      (first) =>
        new DataLoader(async (ids) => {
          const found = await approvedReviewsOfProducts(context.db, ids, first);
          return ids.map((id) => found.get(id) ?? []);
        }),
    ),
    recommendations: perFirst(
      (first) =>
        new DataLoader(async (ids) => {
          const found = await recommendationIdsFor(context.db, ids, first);
          return ids.map((id) => found.get(id) ?? []);
        }),
    ),
    products: new DataLoader(async (ids) => {
      const found = await getStoreProducts(context.db, ids, catalogMarketOf(context.market));
      return ids.map((id) => found.get(id) ?? null);
    }),
    // The tree is one catalog read; a product's category ref is looked up in it.
    category: new DataLoader(async (ids) => {
      const nodes = flatten(await context.catalog.categories());
      return ids.map((id) => nodes.get(id) ?? null);
    }),
  };
}
