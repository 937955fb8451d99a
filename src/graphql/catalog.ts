/**
 * Catalog root fields. Each reads through the catalog service REST uses (catalog-reads.ts: the
 * same cache layers, or the fill of a cached answer), so they answer with the same data;
 * everything a product needs beyond its row (reviews, recommendations) comes through the loaders.
 */
import * as z from "zod";
import { GraphQLNonNull, type GraphQLFieldConfigMap } from "graphql";
import { CategoryTree, Collection, IdOrSlugParam, Product, ProductListQuery } from "../modules/catalog/schemas";
import { Region } from "../modules/markets/schemas";
import { regionsOf } from "../modules/markets/context";
import type { GraphQLContext } from "./context";
import { argsFrom, maxOf, parseArgs } from "./from-zod";
import { connectionOf, nonNullList, ProductSort, types, withRules } from "./types";

const LIST_ARGS = { limit: "first", cursor: "after" };
const idOrSlug = IdOrSlugParam.shape.idOrSlug;
const ProductLookup = z
  .object({ id: idOrSlug.optional(), slug: idOrSlug.optional() })
  .refine((args) => (args.id === undefined) !== (args.slug === undefined), { message: "pass exactly one of id and slug", path: ["id"] });

export const ProductConnection = connectionOf(types.object(Product));

export const catalogQueries = (): GraphQLFieldConfigMap<unknown, GraphQLContext> => ({
  products: withRules(
    { access: "public", maxFirst: maxOf(ProductListQuery.shape.limit) },
    {
      type: new GraphQLNonNull(ProductConnection),
      description: "Active products: search, filter by category (with subcategories) or collection, sort.",
      args: argsFrom(ProductListQuery, { rename: LIST_ARGS, enums: { sort: ProductSort } }),
      resolve: (_root, args, context) => context.catalog.productEdges(parseArgs(ProductListQuery, args, LIST_ARGS)),
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
        return context.catalog.product((id ?? slug)!);
      },
    },
  ),
  categories: withRules(
    { access: "public" },
    {
      type: nonNullList(types.object(CategoryTree)),
      description: "Root categories with their children.",
      resolve: (_root, _args, context) => context.catalog.categories(),
    },
  ),
  collections: withRules(
    { access: "public" },
    {
      type: nonNullList(types.object(Collection)),
      resolve: (_root, _args, context) => context.catalog.collections(),
    },
  ),
  regions: withRules(
    { access: "public" },
    {
      type: nonNullList(types.object(Region)),
      description: "The regions the store sells in; X-Region (or the request's country) picks the one prices are in.",
      resolve: (_root, _args, context) => regionsOf(context.env, context.market.config),
    },
  ),
});
