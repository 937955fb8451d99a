/**
 * The GraphQL schema stays in step with its sources: docs/schema.graphql is the running schema
 * printed; every object type derived from a zod schema has exactly that schema's fields (plus
 * the ones GraphQL adds) with matching nullability; the names API.md fixes are there; and every
 * root field declares its access, every mutation its rate-limit policy.
 */
import {
  getNamedType,
  getNullableType,
  isListType,
  isNonNullType,
  isObjectType,
  printSchema,
  type GraphQLField,
  type GraphQLObjectType,
} from "graphql";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import sdl from "../../docs/schema.graphql?raw";
import { storefrontSchema } from "../../src/graphql/schema";
import { rulesOf } from "../../src/graphql/types";
import { MoneySchema } from "../../src/http/openapi";
import { Cart, CartItem, TotalsSchema } from "../../src/modules/cart/schemas";
import { CategoryTree, Collection, Product, Variant } from "../../src/modules/catalog/schemas";
import { Checkout } from "../../src/modules/checkout/schemas";
import { Region } from "../../src/modules/markets/schemas";
import { Order, OrderLine } from "../../src/modules/orders/schemas";
import { Review } from "../../src/modules/reviews/schemas";

const schema = storefrontSchema();
const object = (name: string) => schema.getType(name) as GraphQLObjectType;

/** Zod fields with whether each may be null or missing. */
function zodFields(schema: z.ZodType): Record<string, boolean> {
  let core: any = schema;
  while (core._zod.def.type === "lazy") core = core._zod.innerType;
  const shape = core._zod.def.shape as Record<string, z.ZodType>;
  return Object.fromEntries(Object.entries(shape).map(([key, member]) => [key, member.safeParse(null).success || member.safeParse(undefined).success]));
}

describe("the GraphQL schema", () => {
  it("is what docs/schema.graphql says (run `npm run graphql:schema` after changing it)", () => {
    expect(sdl).toBe(`${printSchema(schema)}\n`);
  });

  const derived: [string, z.ZodType, string[]][] = [
    ["Product", Product, ["reviews", "recommendations"]],
    ["Variant", Variant, []],
    ["Money", MoneySchema, []],
    ["Category", CategoryTree, []],
    ["Collection", Collection, []],
    ["Region", Region, []],
    ["Review", Review, []],
    ["Cart", Cart, []],
    ["CartItem", CartItem, []],
    ["Totals", TotalsSchema, []],
    ["Checkout", Checkout, ["payment"]],
    ["Order", Order, []],
    ["OrderLine", OrderLine, []],
  ];
  for (const [name, zodSchema, extras] of derived) {
    it(`${name} has the fields of its zod schema, nullable exactly where zod allows null`, () => {
      const type = object(name);
      const fields = zodFields(zodSchema);
      expect(Object.keys(type.getFields()).sort()).toEqual([...Object.keys(fields), ...extras].sort());
      for (const [field, nullable] of Object.entries(fields)) expect(!isNonNullType(type.getFields()[field]!.type), `${name}.${field}`).toBe(nullable);
    });
  }

  it("keeps the names API.md fixes", () => {
    const query = schema.getQueryType()!.getFields();
    const mutation = schema.getMutationType()!.getFields();
    const signature = (f: GraphQLField<unknown, unknown>) => `${f.name}(${f.args.map((a) => `${a.name}: ${String(a.type)}`).join(", ")}): ${String(f.type)}`;
    expect(signature(query.products!)).toBe(
      "products(first: Int, after: String, category: String, collection: String, q: String, minPrice: Int, maxPrice: Int, sort: ProductSort): ProductConnection!",
    );
    expect(signature(query.product!)).toBe("product(id: ID, slug: String): Product");
    expect(String(query.categories!.type)).toBe("[Category!]!");
    expect(String(query.collections!.type)).toBe("[Collection!]!");
    expect(String(query.regions!.type)).toBe("[Region!]!");
    expect(String(query.cart!.type)).toBe("Cart");
    expect(signature(query.orders!)).toBe("orders(first: Int, after: String): OrderConnection!");
    expect(signature(query.order!)).toBe("order(id: ID!): Order");
    expect(signature(mutation.addToCart!)).toMatch(/^addToCart\(variantId: ID!, quantity: Int!.*\): Cart!$/);
    expect(signature(mutation.updateCartItem!)).toBe("updateCartItem(itemId: ID!, quantity: Int!): Cart!");
    expect(signature(mutation.removeCartItem!)).toBe("removeCartItem(itemId: ID!): Cart!");
    expect(signature(mutation.applyDiscount!)).toBe("applyDiscount(code: String!): Cart!");
    expect(signature(mutation.createCheckout!)).toMatch(/^createCheckout\(idempotencyKey: String!.*\): Checkout!$/);
    expect(signature(mutation.payCheckout!)).toBe("payCheckout(id: ID!, token: String!): Checkout!");
    expect(Object.keys(object("ProductConnection").getFields())).toEqual(["edges", "pageInfo"]);
    expect(Object.keys(object("ProductEdge").getFields())).toEqual(["cursor", "node"]);
    expect(Object.keys(object("PageInfo").getFields())).toEqual(["hasNextPage", "endCursor"]);
    expect(String(object("Product").getFields().category!.type)).toBe("Category");
    expect(signature(object("Product").getFields().reviews!)).toBe("reviews(first: Int): [Review!]!");
    expect(signature(object("Product").getFields().recommendations!)).toBe("recommendations(first: Int): [Product!]!");
  });

  it("declares the access of every root field and the rate-limit policy of every mutation", () => {
    for (const field of Object.values(schema.getQueryType()!.getFields())) expect(["public", "customer"], field.name).toContain(rulesOf(field).access);
    for (const field of Object.values(schema.getMutationType()!.getFields())) {
      expect(rulesOf(field).access, field.name).toBe("customer");
      expect(["cart", "checkout"], field.name).toContain(rulesOf(field).rateLimit);
    }
  });

  it("bounds every paginated list: a field with `first` has a maximum", () => {
    const unbounded: string[] = [];
    for (const type of Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && !t.name.startsWith("__"))) {
      for (const field of Object.values((type as GraphQLObjectType).getFields())) {
        if (field.args.some((a) => a.name === "first") && rulesOf(field).maxFirst === undefined) unbounded.push(`${type.name}.${field.name}`);
      }
    }
    expect(unbounded).toEqual([]);
    // Lists without `first` are bounded by the data itself (a product's variants, a cart's lines,
    // the regions, the shipping methods of one region).
    const lists = Object.values(object("Query").getFields()).filter((f) => isListType(getNullableType(f.type))).map((f) => getNamedType(f.type).name);
    expect(lists.sort()).toEqual(["Category", "Collection", "Region", "ShippingOption"]);
  });
});
