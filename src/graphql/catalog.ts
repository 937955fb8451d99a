/**
 * Catalog root fields. Each calls the catalog service REST uses, through the same cache layers
 * (so they answer with the same data, and X-Cache reports how they were served); everything a
 * product needs beyond its row (reviews, recommendations) comes through the batch loaders.
 */
import { z } from "@hono/zod-openapi";
import { GraphQLNonNull, type GraphQLFieldConfigMap } from "graphql";
import type { CacheAnswer } from "../modules/catalog/cache";
import { CategoryTree, Collection, IdOrSlugParam, Product, ProductListQuery } from "../modules/catalog/schemas";
import { getProduct, listCategories, listCollections, listProductEdges } from "../modules/catalog/service";
import { Region } from "../modules/markets/schemas";
import { listRegions } from "../modules/markets/service";
import type { GraphQLContext } from "./context";
import { argsFrom, maxOf, parseArgs } from "./from-zod";
import { connectionOf, nonNullList, ProductSort, types, withRules } from "./types";

const LIST_ARGS = { limit: "first", cursor: "after" };
const idOrSlug = IdOrSlugParam.shape.idOrSlug;
const ProductLookup = z
  .object({ id: idOrSlug.optional(), slug: idOrSlug.optional() })
  .refine((args) => (args.id === undefined) !== (args.slug === undefined), { message: "pass exactly one of id and slug", path: ["id"] });

/** Parses a cached catalog answer and notes how it was served. */
function served<T>(context: GraphQLContext, answer: CacheAnswer): T {
  context.cacheStatuses.push(answer.status);
  return JSON.parse(answer.body) as T;
}

export const ProductConnection = connectionOf(types.object(Product));

export const catalogQueries = (): GraphQLFieldConfigMap<unknown, GraphQLContext> => ({
  products: withRules(
    { access: "public", maxFirst: maxOf(ProductListQuery.shape.limit) },
    {
      type: new GraphQLNonNull(ProductConnection),
      description: "Active products: search, filter by category (with subcategories) or collection, sort.",
      args: argsFrom(ProductListQuery, { rename: LIST_ARGS, enums: { sort: ProductSort } }),
      resolve: async (_root, args, context) =>
        served(context, await listProductEdges(context.read, parseArgs(ProductListQuery, args, LIST_ARGS))),
    },
  ),
  product: withRules(
    { access: "public" },
    {
      type: types.object(Product),
      description: "One active product by id or slug; null with NOT_FOUND in errors when there is none.",
      args: argsFrom(ProductLookup),
      resolve: async (_root, args, context) => {
        const { id, slug } = parseArgs(ProductLookup, args);
        return served(context, await getProduct(context.read, (id ?? slug)!));
      },
    },
  ),
  categories: withRules(
    { access: "public" },
    {
      type: nonNullList(types.object(CategoryTree)),
      description: "Root categories with their children.",
      resolve: async (_root, _args, context) => served<{ data: unknown[] }>(context, await listCategories(context.read)).data,
    },
  ),
  collections: withRules(
    { access: "public" },
    {
      type: nonNullList(types.object(Collection)),
      resolve: async (_root, _args, context) => served<{ data: unknown[] }>(context, await listCollections(context.read)).data,
    },
  ),
  regions: withRules({ access: "public" }, { type: nonNullList(types.object(Region)), resolve: (_root, _args, context) => listRegions(context.env) }),
});
