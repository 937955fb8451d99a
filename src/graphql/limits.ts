/**
 * Query limits, checked after validation and before anything runs: depth, an estimated cost, and
 * each `first` within its field's maximum (from the field's zod schema). The cost is an upper
 * bound of the values an answer can hold: every field counts once per parent it may appear under,
 * a list multiplies its children by `first` (a connection's edges by the connection's `first`),
 * and an unbounded list by its assumed size. Introspection fields are counted by the same rules
 * (their lists as long as this schema makes them), so they are no way around the limit.
 * Fragments are expanded as the executor expands them.
 */
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type VariableValues,
} from "graphql";
import { MAX_CART_CODES, MAX_CART_LINES } from "../modules/cart/schemas";
import { MAX_CART_GIFT_CARDS } from "../modules/gift-cards/schemas";
import { rulesOf } from "./types";

export const LIMITS = {
  maxDepth: 15,
  // Room for the standard introspection query of this schema (about 30,000 and growing with it) and a few full pages.
  maxCost: 60_000,
  /** Lexer tokens in one document: a bound on parse and validation work. */
  maxTokens: 3_000,
  /** Fields the analysis itself may visit; past this the query is too complex to even estimate. */
  maxVisits: 50_000,
  /** Assumed length of a list that takes no `first`. */
  defaultListSize: 10,
};

/** Lists known to be longer (or shorter) than the default. */
const LIST_SIZES: Record<string, number> = {
  "Query.categories": 50,
  // A tree: its nodes are bounded by the whole category list, not multiplied per level.
  "Category.children": 5,
  "Query.collections": 100,
  "Cart.items": MAX_CART_LINES,
  "Checkout.lines": MAX_CART_LINES,
  "Order.lines": MAX_CART_LINES,
  "Cart.discounts": MAX_CART_CODES,
  "Cart.inactiveCodes": MAX_CART_CODES,
  "Checkout.discounts": MAX_CART_CODES,
  "Cart.giftCards": MAX_CART_GIFT_CARDS,
  "Checkout.giftCards": MAX_CART_GIFT_CARDS,
};

/**
 * Introspection lists are as long as this schema makes them: the number of types, and the
 * average number of fields, arguments and enum values per type or field (never a guess that a
 * client could exploit by asking for introspection instead of data). Nesting of introspection
 * is bounded separately by graphql-js's MaxIntrospectionDepthRule, run with validation.
 */
const introspectionSizes = new WeakMap<GraphQLSchema, Record<string, number>>();

function introspectionSizesOf(schema: GraphQLSchema): Record<string, number> {
  let sizes = introspectionSizes.get(schema);
  if (sizes) return sizes;
  const types = Object.values(schema.getTypeMap());
  const average = (counts: number[]) => Math.max(1, Math.ceil(counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length)));
  const withFields = types.filter((t) => isObjectType(t) || isInterfaceType(t));
  const fields = withFields.flatMap((t) => Object.values(t.getFields()));
  const directives = schema.getDirectives();
  sizes = {
    "__Schema.types": types.length,
    "__Schema.directives": directives.length,
    "__Type.fields": average(withFields.map((t) => Object.keys(t.getFields()).length)),
    "__Type.inputFields": average(types.filter(isInputObjectType).map((t) => Object.keys(t.getFields()).length)),
    "__Type.enumValues": average(types.filter(isEnumType).map((t) => t.getValues().length)),
    "__Type.interfaces": 1,
    "__Type.possibleTypes": 1,
    "__Field.args": average(fields.map((f) => f.args.length)),
    "__Directive.args": average(directives.map((d) => d.args.length)),
    "__Directive.locations": average(directives.map((d) => d.locations.length)),
  };
  introspectionSizes.set(schema, sizes);
  return sizes;
}

export type LimitFinding =
  | { ok: true; depth: number; cost: number }
  | { ok: false; code: "QUERY_TOO_COMPLEX"; message: string; details: Record<string, number> }
  | { ok: false; code: "VALIDATION_ERROR"; message: string; details: { issues: { path: string; message: string }[] } };

type Walk = {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: VariableValues;
  depth: number;
  cost: number;
  visits: number;
  issues: { path: string; message: string }[];
  introspection: Record<string, number>;
};

class TooComplex extends Error {}

function fieldOf(walk: Walk, parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === "__typename") return TypeNameMetaFieldDef;
  if (parent === walk.schema.getQueryType()) {
    if (name === "__schema") return SchemaMetaFieldDef;
    if (name === "__type") return TypeMetaFieldDef;
  }
  return "getFields" in parent ? parent.getFields()[name] : undefined;
}

function visit(walk: Walk, set: SelectionSetNode, parent: GraphQLCompositeType, depth: number, multiplier: number, carried: number | undefined, path: string, seen = new Set<string>()) {
  for (const selection of set.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : parent;
      if (type && isCompositeType(type)) visit(walk, selection.selectionSet, type, depth, multiplier, carried, path, seen);
      continue;
    }
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      // The executor collects a fragment once per selection set however often it is spread there.
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      const type = fragment && walk.schema.getType(fragment.typeCondition.name.value);
      if (seen.has(name) || !fragment || !type || !isCompositeType(type)) continue;
      seen.add(name);
      visit(walk, fragment.selectionSet, type, depth, multiplier, carried, path, seen);
      continue;
    }
    const name = selection.name.value;
    const field = fieldOf(walk, parent, name);
    if (!field) continue;
    if (++walk.visits > LIMITS.maxVisits) throw new TooComplex();
    const fieldDepth = depth + 1;
    const fieldPath = path ? `${path}.${selection.alias?.value ?? name}` : (selection.alias?.value ?? name);
    walk.depth = Math.max(walk.depth, fieldDepth);
    if (walk.depth > LIMITS.maxDepth) throw new TooComplex();
    const args = field.args.length ? getArgumentValues(field, selection, walk.variables) : {};
    const first = typeof args.first === "number" ? args.first : undefined;
    const { maxFirst } = rulesOf(field);
    if (first !== undefined && maxFirst !== undefined && (first < 1 || first > maxFirst)) {
      walk.issues.push({ path: `${fieldPath}.first`, message: `first must be between 1 and ${maxFirst}` });
    }
    const list = isListType(getNullableType(field.type));
    const known = LIST_SIZES[`${parent.name}.${name}`] ?? walk.introspection[`${parent.name}.${name}`];
    const size = list ? Math.min(first ?? (name === "edges" ? carried : undefined) ?? known ?? LIMITS.defaultListSize, maxFirst ?? Infinity) : 1;
    walk.cost += multiplier * size;
    if (walk.cost > LIMITS.maxCost) throw new TooComplex();
    const named = getNamedType(field.type);
    if (selection.selectionSet && isCompositeType(named)) {
      visit(walk, selection.selectionSet, named, fieldDepth, multiplier * size, list ? undefined : first, fieldPath);
    }
  }
}

/** Checks an operation that passed validation, with its coerced variables, against the limits. */
export function checkLimits(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: VariableValues,
): LimitFinding {
  const root = operation.operation === "mutation" ? schema.getMutationType() : schema.getQueryType();
  const walk: Walk = { schema, fragments, variables, depth: 0, cost: 0, visits: 0, issues: [], introspection: introspectionSizesOf(schema) };
  try {
    if (root) visit(walk, operation.selectionSet, root, 0, 1, undefined, "");
  } catch (error) {
    if (!(error instanceof TooComplex)) throw error;
    return {
      ok: false,
      code: "QUERY_TOO_COMPLEX",
      message: `Query is too complex: at most depth ${LIMITS.maxDepth} and cost ${LIMITS.maxCost} (see docs/graphql.md)`,
      details: { maxDepth: LIMITS.maxDepth, maxCost: LIMITS.maxCost, depth: walk.depth, cost: walk.cost },
    };
  }
  if (walk.issues.length) return { ok: false, code: "VALIDATION_ERROR", message: "Request validation failed", details: { issues: walk.issues } };
  return { ok: true, depth: walk.depth, cost: walk.cost };
}
