/**
 * Random GraphQL documents drawn from the running schema (so new fields are fuzzed as soon as
 * they exist): root fields with arguments that are valid, out of range or of the wrong type,
 * nested selections, aliases and fragments, and now and then a broken document. Built from one
 * fast-check integer seed; the failing document is printed with the counterexample.
 */
import fc from "fast-check";
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from "graphql";

/** Mulberry32: a tiny seeded PRNG, so one integer replays one document. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ['"x"', '""', '"prod_x"', '"var_x"', '"tok_success"', '"tok_decline"', '"newest"', `"${"a".repeat(300)}"`, '"\\u0000"', '"Ω≈ç√"', '"null"'];
const INTS = ["0", "1", "-1", "5", "20", "100", "101", "2147483647", "99999999999", "1.5"];

function generator(schema: GraphQLSchema, rand: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const chance = (p: number) => rand() < p;

  function literal(type: GraphQLInputType, depth = 0): string {
    if (chance(0.05)) return pick([...STRINGS, ...INTS, "null", "true", "[]", "{}"]);
    if (isNonNullType(type)) return literal(type.ofType, depth);
    if (isListType(type)) return `[${Array.from({ length: Math.floor(rand() * 3) }, () => literal(type.ofType, depth + 1)).join(", ")}]`;
    if (isEnumType(type)) return chance(0.9) ? pick(type.getValues()).name : "NOT_A_VALUE";
    if (isInputObjectType(type)) {
      if (depth > 2) return "{}";
      const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) || chance(0.5));
      return `{ ${fields.map((f) => `${f.name}: ${literal(f.type, depth + 1)}`).join(", ")} }`;
    }
    const name = getNamedType(type).name;
    if (name === "Int") return pick(INTS);
    if (name === "Float") return pick(["0", "1.5", "-3", "1e308"]);
    if (name === "Boolean") return pick(["true", "false"]);
    return pick(STRINGS);
  }

  function args(field: GraphQLField<unknown, unknown>): string {
    const chosen = field.args.filter((a) => (isNonNullType(a.type) ? chance(0.95) : chance(0.5)));
    return chosen.length ? `(${chosen.map((a) => `${a.name}: ${literal(a.type)}`).join(", ")})` : "";
  }

  function selection(type: GraphQLObjectType, depth: number): string {
    const fields = Object.values(type.getFields());
    const leaves = fields.filter((f) => isLeafType(getNamedType(f.type)));
    const pool = depth >= 4 && leaves.length ? leaves : fields;
    const count = 1 + Math.floor(rand() * 3);
    const parts = Array.from({ length: count }, (_, i) => {
      const field = pick(pool);
      const named = getNamedType(field.type);
      const alias = chance(0.2) ? `a${i}: ` : "";
      const inner = isObjectType(named) ? ` { ${selection(named, depth + 1)} }` : "";
      return `${alias}${field.name}${args(field)}${inner}`;
    });
    if (chance(0.1)) parts.push("__typename");
    return parts.join(" ");
  }

  return function document(): string {
    const mutation = schema.getMutationType();
    const root = mutation && chance(0.25) ? mutation : schema.getQueryType()!;
    const body = selection(root, 0);
    const doc = chance(0.15)
      ? `${root === mutation ? "mutation" : "query"} Op { ...F } fragment F on ${root.name} { ${body} }`
      : `${root === mutation ? "mutation" : "query"} { ${body} }`;
    if (!chance(0.1)) return doc;
    // A broken document: cut somewhere, or a stray character in the middle.
    const at = Math.floor(rand() * doc.length);
    return chance(0.5) ? doc.slice(0, at) : `${doc.slice(0, at)}${pick(["{", "}", "(", "$", "@", '"', "...", "#"])}${doc.slice(at)}`;
  };
}

export type FuzzRequest = { seed: number; document: string; method: "GET" | "POST"; authenticated: boolean; variables: unknown };

/** A fuzzed request: a document from `schema`, how it is sent, and junk variables now and then. */
export function graphqlRequestArb(schema: GraphQLSchema): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      seed: fc.integer(),
      method: fc.constantFrom("POST", "POST", "POST", "GET"),
      authenticated: fc.boolean(),
      variables: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
    })
    .map(({ seed, method, authenticated, variables }) => ({
      seed,
      method: method as "GET" | "POST",
      authenticated,
      variables,
      document: generator(schema, prng(seed))(),
    }));
}
