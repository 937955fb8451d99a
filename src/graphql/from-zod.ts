/**
 * GraphQL types derived from the zod schemas that validate REST and build /openapi.json, so the
 * two APIs cannot drift: an object schema becomes an object type with the same field names,
 * scalars and nullability; `id` and `…Id` strings become ID; string records become
 * `[SelectedOption!]!`. Argument lists are derived the same way, and `parseArgs` validates them
 * with the very schema they came from. Unsupported zod kinds fail at schema build, not at runtime.
 */
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLFieldConfigMap,
  type GraphQLFieldResolver,
  type GraphQLInputFieldConfigMap,
  type GraphQLNullableInputType,
  type GraphQLNullableOutputType,
  type GraphQLOutputType,
} from "graphql";
import type { z } from "zod";
import { validationError } from "../lib/errors";

type AnyZod = z.ZodType;
type Def = {
  type: string;
  shape?: Record<string, AnyZod>;
  innerType?: AnyZod;
  element?: AnyZod;
  entries?: Record<string, string | number>;
  valueType?: AnyZod;
  in?: AnyZod;
  defaultValue?: unknown;
};

const defOf = (schema: AnyZod): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const objectShape = (schema: AnyZod): Record<string, AnyZod> => {
  const shape = defOf(schema).shape;
  if (!shape) throw new TypeError("expected a zod object schema");
  return shape;
};
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const isIdField = (name: string) => name === "id" || /[a-z]Id$/.test(name);

/** Strips optional/nullable/default/lazy wrappers: the core schema, whether it may be null, and its default. */
function unwrap(schema: AnyZod): { core: AnyZod; nullable: boolean; defaultValue: unknown } {
  let core = schema;
  let nullable = false;
  let defaultValue: unknown = undefined;
  for (;;) {
    const def = defOf(core);
    if (def.type === "optional" || def.type === "nullable") nullable = true;
    else if (def.type === "default" || def.type === "prefault") defaultValue ??= def.defaultValue;
    else if (def.type === "lazy") {
      // zod memoizes a lazy schema's inner schema, so recursion meets the same object again.
      core = (core as unknown as { _zod: { innerType: AnyZod } })._zod.innerType;
      continue;
    } else if (def.type === "pipe") {
      core = def.in!;
      continue;
    } else break;
    core = def.innerType!;
  }
  return { core, nullable, defaultValue };
}

/** The largest value a zod number accepts (after wrappers), or undefined when unbounded. */
export function maxOf(schema: AnyZod): number | undefined {
  const max = (unwrap(schema).core as unknown as { maxValue?: number | null }).maxValue;
  return typeof max === "number" && Number.isFinite(max) ? max : undefined;
}

/** The default a zod field fills in, or undefined. */
export const defaultOf = (schema: AnyZod): unknown => unwrap(schema).defaultValue;

export const SelectedOption = new GraphQLObjectType({
  name: "SelectedOption",
  description: "One option of a variant, e.g. name Color, value Red.",
  fields: { name: { type: new GraphQLNonNull(GraphQLString) }, value: { type: new GraphQLNonNull(GraphQLString) } },
});

export type Naming = {
  /** Names of shared schemas (MoneySchema → "Money") and of nested ones by path ("Product.rating" → "Rating"). */
  names: Map<AnyZod, string>;
  paths: Record<string, string>;
  /** Zod objects shown as an existing, wider GraphQL type (a product's category ref → Category). */
  aliases: Map<AnyZod, () => GraphQLObjectType>;
  /** Fields with resolvers added to a derived type, by type name. */
  extend: Record<string, () => GraphQLFieldConfigMap<any, any>>;
  /** Resolver for a field the source object may lack (it is then loaded), by type name. */
  fallback: Record<string, (field: string) => GraphQLFieldResolver<any, any>>;
};

/** Builds output types from zod schemas once per schema object (shared schemas become one type). */
export class OutputTypes {
  private readonly objects = new Map<AnyZod, GraphQLObjectType>();
  private readonly enums = new Map<string, GraphQLEnumType>();
  private readonly names = new Map<AnyZod, string>();
  private readonly aliases = new Map<AnyZod, () => GraphQLObjectType>();

  constructor(private readonly naming: Naming) {
    // A lazy (recursive) schema is met again as its inner object: both carry the name.
    for (const [schema, name] of naming.names) this.names.set(schema, name).set(unwrap(schema).core, name);
    for (const [schema, alias] of naming.aliases) this.aliases.set(schema, alias).set(unwrap(schema).core, alias);
  }

  /** The object type of a zod object schema under its name. */
  object(schema: AnyZod, name = this.names.get(schema)): GraphQLObjectType {
    const core = unwrap(schema).core;
    const alias = this.aliases.get(core);
    if (alias) return alias();
    const known = this.objects.get(core);
    if (known) return known;
    if (!name) throw new TypeError("a derived object type needs a name");
    const shape = objectShape(core);
    const type: GraphQLObjectType = new GraphQLObjectType({
      name,
      fields: () => {
        const fallback = this.naming.fallback[name];
        const fields: GraphQLFieldConfigMap<any, any> = {};
        for (const [field, member] of Object.entries(shape)) {
          const config = { type: this.field(member, name, field), resolve: isRecord(member) ? optionsOf(field) : undefined };
          fields[field] = fallback ? { ...config, resolve: fallback(field) } : config;
        }
        return { ...fields, ...this.naming.extend[name]?.() };
      },
    });
    this.objects.set(core, type);
    return type;
  }

  private field(schema: AnyZod, parent: string, field: string): GraphQLOutputType {
    const { core, nullable } = unwrap(schema);
    const type = this.nullableType(core, `${parent}.${field}`, field);
    return nullable ? type : new GraphQLNonNull(type);
  }

  private nullableType(core: AnyZod, path: string, field: string): GraphQLNullableOutputType {
    const def = defOf(core);
    switch (def.type) {
      case "string":
        return isIdField(field) ? GraphQLID : GraphQLString;
      case "number":
        return (core as unknown as { isInt: boolean }).isInt ? GraphQLInt : GraphQLFloat;
      case "boolean":
        return GraphQLBoolean;
      case "enum":
        return this.enumType(this.names.get(core) ?? this.naming.paths[path] ?? pathName(path), def.entries!);
      case "record":
        if (defOf(unwrap(def.valueType!).core).type !== "string") break;
        return new GraphQLList(new GraphQLNonNull(SelectedOption));
      case "array": {
        return new GraphQLList(this.field(def.element!, path.split(".")[0]!, field));
      }
      case "object":
        return this.object(core, this.names.get(core) ?? this.naming.paths[path] ?? pathName(path));
    }
    throw new TypeError(`${path}: zod ${def.type} has no GraphQL type here`);
  }

  private enumType(name: string, entries: Record<string, string | number>): GraphQLEnumType {
    const known = this.enums.get(name);
    if (known) return known;
    const type = new GraphQLEnumType({ name, values: Object.fromEntries(Object.values(entries).map((v) => [String(v), { value: v }])) });
    this.enums.set(name, type);
    return type;
  }
}

const isRecord = (schema: AnyZod) => defOf(unwrap(schema).core).type === "record";
/** A string record `{Color: "Red"}` as `[{name: "Color", value: "Red"}]`. */
const optionsOf = (field: string) => (source: Record<string, Record<string, string> | null>) =>
  Object.entries(source[field] ?? {}).map(([name, value]) => ({ name, value }));

/** "Order.events" → "OrderEvents": the fallback name of a nested type nobody named. */
const pathName = (path: string) => path.split(".").map(capitalize).join("");

export type ArgOptions = {
  /** zod key → GraphQL argument name, e.g. limit → first. */
  rename?: Record<string, string>;
  /** Fields the server fills in itself and a client cannot pass. */
  omit?: string[];
  /** Named input enums; other enums are plain strings (checked by zod when parsed). */
  enums?: Record<string, GraphQLEnumType>;
};

/** Field arguments from a zod object (a query, params or body schema), with its defaults. */
export function argsFrom(schema: AnyZod, options: ArgOptions = {}): GraphQLFieldConfigArgumentMap {
  const args: GraphQLFieldConfigArgumentMap = {};
  for (const [key, member] of Object.entries(objectShape(schema))) {
    if (options.omit?.includes(key)) continue;
    const { core, nullable, defaultValue } = unwrap(member);
    const base = options.enums?.[key] ?? inputType(core, key);
    const optional = nullable || defaultValue !== undefined;
    args[options.rename?.[key] ?? key] = { type: optional ? base : new GraphQLNonNull(base), ...(defaultValue !== undefined ? { defaultValue } : {}) };
  }
  return args;
}

const inputObjects = new Map<AnyZod, GraphQLInputObjectType>();

function inputType(core: AnyZod, name: string): GraphQLNullableInputType {
  const def = defOf(core);
  switch (def.type) {
    case "string":
    case "enum":
      return isIdField(name) ? GraphQLID : GraphQLString;
    case "number":
      return (core as unknown as { isInt: boolean }).isInt ? GraphQLInt : GraphQLFloat;
    case "boolean":
      return GraphQLBoolean;
    case "array":
      return new GraphQLList(new GraphQLNonNull(inputType(unwrap(def.element!).core, name)));
    case "object": {
      let type = inputObjects.get(core);
      if (!type) {
        const shape = objectShape(core);
        type = new GraphQLInputObjectType({
          name: `${capitalize(name)}Input`,
          fields: () => {
            const fields: GraphQLInputFieldConfigMap = {};
            for (const [key, member] of Object.entries(shape)) {
              const inner = unwrap(member);
              const base = inputType(inner.core, key);
              fields[key] = { type: inner.nullable || inner.defaultValue !== undefined ? base : new GraphQLNonNull(base) };
            }
            return fields;
          },
        });
        inputObjects.set(core, type);
      }
      return type;
    }
  }
  throw new TypeError(`argument ${name}: zod ${def.type} has no GraphQL input type`);
}

/**
 * Validates GraphQL arguments with the zod schema they were derived from (renamed back), so a
 * GraphQL call is held to exactly the REST rules; a failure is VALIDATION_ERROR with
 * `details.issues` naming the GraphQL arguments.
 */
export function parseArgs<T extends AnyZod>(schema: T, args: Record<string, unknown>, rename: Record<string, string> = {}): z.infer<T> {
  const back = Object.fromEntries(Object.entries(rename).map(([key, arg]) => [arg, key]));
  const input: Record<string, unknown> = {};
  for (const [arg, value] of Object.entries(args)) if (value !== null && value !== undefined) input[back[arg] ?? arg] = value;
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw validationError(
    parsed.error.issues.map((issue) => {
      const [head, ...rest] = issue.path.map(String);
      return { path: [rename[head ?? ""] ?? head, ...rest].join("."), message: issue.message };
    }),
  );
}
