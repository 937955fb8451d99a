/**
 * The storefront's object types. Shapes come from the zod schemas REST answers with (from-zod.ts);
 * only GraphQL's own wrappers (connections, page info) and the fields with arguments that load
 * more (a product's reviews and recommendations) are written here.
 */
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigMap,
  type GraphQLFieldResolver,
  type GraphQLNullableOutputType,
  type GraphQLOutputType,
} from "graphql";
import type { z } from "zod";
import { MoneySchema, PageQuery } from "../http/openapi";
import type { PolicyName } from "../modules/rate-limit/policies";
import { AppliedCode, AppliedGiftCard, AutomaticDiscount, Cart, CartItem, PayableTotals, TotalsSchema } from "../modules/cart/schemas";
import { CategoryRef, CategoryTree, Collection, Product, SORTS, Variant, type CategoryNode } from "../modules/catalog/schemas";
import { Checkout } from "../modules/checkout/schemas";
import { Address, ChosenShipping, Region, ShippingOption } from "../modules/markets/schemas";
import { Order, OrderLine } from "../modules/orders/schemas";
import { RecommendationsQuery } from "../modules/recommendations/schemas";
import { Review } from "../modules/reviews/schemas";
import type { GraphQLContext } from "./context";
import { argsFrom, maxOf, OutputTypes, parseArgs } from "./from-zod";

/** What the HTTP layer needs to know about a field before running it (read by limits and routes). */
export type FieldRules = {
  /** `customer` fields refuse anonymous calls exactly like `requireAuth` routes. */
  access?: "public" | "customer";
  /** The rate-limit policy a mutation counts against, as its REST route would. */
  rateLimit?: PolicyName;
  /** The largest `first` the field takes (from its zod schema); larger is VALIDATION_ERROR. */
  maxFirst?: number;
};

export function rulesOf(field: { extensions?: unknown }): FieldRules {
  return ((field.extensions as { edgeshop?: FieldRules } | undefined)?.edgeshop ?? {}) as FieldRules;
}

/** A field config carrying its rules in `extensions.edgeshop`. */
export function withRules<T extends GraphQLFieldConfig<any, GraphQLContext, any>>(rules: FieldRules, config: T): T {
  return { ...config, extensions: { ...config.extensions, edgeshop: rules } };
}

export const ProductSort = new GraphQLEnumType({
  name: "ProductSort",
  description: "Default: relevance with q, newest without.",
  values: Object.fromEntries(SORTS.map((sort) => [sort, { value: sort }])),
});

const reviewArgs = PageQuery.pick({ limit: true });
const FIRST = { limit: "first" };

const productExtras = (): GraphQLFieldConfigMap<any, GraphQLContext> => ({
  reviews: withRules(
    { maxFirst: maxOf(reviewArgs.shape.limit) },
    {
      type: nonNullList(types.object(Review)),
      description: "The newest approved reviews.",
      args: argsFrom(reviewArgs, { rename: FIRST }),
      resolve: (product: { id: string }, args: Record<string, unknown>, context: GraphQLContext) =>
        context.loaders.reviews(parseArgs(reviewArgs, args, FIRST).limit).load(product.id),
    },
  ),
  recommendations: withRules(
    { maxFirst: maxOf(RecommendationsQuery.shape.limit) },
    {
      type: nonNullList(types.object(Product)),
      description: "Products often bought together with this one, then its category's best sellers (in stock only).",
      args: argsFrom(RecommendationsQuery, { rename: FIRST }),
      resolve: async (product: { id: string }, args: Record<string, unknown>, context: GraphQLContext) => {
        const ids = await context.loaders.recommendations(parseArgs(RecommendationsQuery, args, FIRST).limit).load(product.id);
        const products = await context.loaders.products.loadMany(ids);
        return products.filter((p) => p !== null && !(p instanceof Error));
      },
    },
  ),
});

/** What a category lacks when it came as a product's `{id, slug, name}`. */
const CATEGORY_DEFAULTS: Partial<CategoryNode> = { description: null, parentId: null, position: 0, children: [] };

const categoryField =
  (field: string): GraphQLFieldResolver<Record<string, unknown>, GraphQLContext> =>
  async (category, _args, context) => {
    if (field in category) return category[field];
    const node = await context.loaders.category.load(category.id as string);
    return (node as Record<string, unknown> | null)?.[field] ?? CATEGORY_DEFAULTS[field as keyof CategoryNode];
  };

/** The client secret a Stripe-compatible provider's customer confirms with (REST: PaymentAnswer.payment). */
const PendingPayment = new GraphQLObjectType({
  name: "PendingPayment",
  fields: { clientSecret: { type: new GraphQLNonNull(GraphQLString) } },
});

const checkoutExtras = (): GraphQLFieldConfigMap<any, GraphQLContext> => ({
  payment: {
    type: PendingPayment,
    description: "Only in payCheckout's answer while PAYMENT_PENDING with a provider the customer confirms (Stripe-compatible): its client secret.",
    resolve: (checkout: { payment?: { clientSecret: string } }) => checkout.payment ?? null,
  },
});

export const types: OutputTypes = new OutputTypes({
  names: new Map<z.ZodType, string>([
    [MoneySchema, "Money"],
    [Variant, "Variant"],
    [Product, "Product"],
    [CategoryTree, "Category"],
    [Collection, "Collection"],
    [Region, "Region"],
    [Address, "Address"],
    [ChosenShipping, "ChosenShippingMethod"],
    [ShippingOption, "ShippingOption"],
    [Review, "Review"],
    [Cart, "Cart"],
    [CartItem, "CartItem"],
    [TotalsSchema, "Totals"],
    [PayableTotals, "PayableTotals"],
    [AppliedGiftCard, "AppliedGiftCard"],
    [AppliedCode, "AppliedDiscountCode"],
    [AutomaticDiscount, "AutomaticDiscount"],
    [Checkout, "Checkout"],
    [Order, "Order"],
    [OrderLine, "OrderLine"],
    ]),
  paths: {
    "Product.priceRange": "PriceRange",
    "Product.rating": "Rating",
    "Product.status": "ProductStatus",
    "Review.author": "ReviewAuthor",
    "Review.status": "ReviewStatus",
    "Cart.inactiveCodes": "InactiveDiscountCode",
    "InactiveDiscountCode.reason": "DiscountRejectionReason",
    "CartItem.bundleSelection": "BundleComponent",
    "Checkout.state": "CheckoutState",
    "Order.status": "OrderStatus",
    "Order.events": "OrderEvent",
  },
  // A product's category is the same Category: fields beyond the ref are looked up in the tree.
  aliases: new Map([[CategoryRef, (): GraphQLObjectType => types.object(CategoryTree)]]),
  extend: { Product: productExtras, Checkout: checkoutExtras },
  fallback: { Category: categoryField },
});

export function nonNullList(type: GraphQLNullableOutputType): GraphQLOutputType {
  return new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(type)));
}

export const PageInfo = new GraphQLObjectType({
  name: "PageInfo",
  fields: {
    hasNextPage: { type: new GraphQLNonNull(GraphQLBoolean) },
    endCursor: { type: GraphQLString, description: "Pass as `after` for the next page." },
  },
});

/** `XConnection { edges { cursor node } pageInfo }` (Relay's connection shape). */
export function connectionOf(node: GraphQLObjectType): GraphQLObjectType {
  const edge = new GraphQLObjectType({
    name: `${node.name}Edge`,
    fields: { cursor: { type: new GraphQLNonNull(GraphQLString) }, node: { type: new GraphQLNonNull(node) } },
  });
  return new GraphQLObjectType({
    name: `${node.name}Connection`,
    fields: { edges: { type: nonNullList(edge) }, pageInfo: { type: new GraphQLNonNull(PageInfo) } },
  });
}
