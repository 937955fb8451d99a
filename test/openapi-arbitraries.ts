/**
 * fast-check arbitraries from the app's own /openapi.json: valid values for a JSON schema, and
 * mutations of them (missing, extra and mistyped fields, junk and oversized values), so every
 * documented route is fuzzed without a hand-written generator.
 */
import fc from "fast-check";

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  format?: string;
  pattern?: string;
  example?: unknown;
};
export type OpenApiDoc = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, JsonSchema> } };
export type Operation = {
  operationId?: string;
  responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
  security?: unknown[];
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: JsonSchema }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
};

function resolve(doc: OpenApiDoc, schema: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace("#/components/schemas/", "");
  return resolve(doc, doc.components?.schemas?.[name] ?? {});
}

function stringArb(s: JsonSchema): fc.Arbitrary<string> {
  // fc.emailAddress() covers all of RFC 5321, most of which real validators (zod's too) refuse.
  // Some validators (zod's .pipe(z.email())) lose `format` in the document; an email example tells.
  const emailLike = s.format === "email" || (typeof s.example === "string" && /^[^@\s]+@[^@\s]+$/.test(s.example));
  if (emailLike) return fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9.+_-]{0,15}$/), fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/)).map(([l, d]) => `${l}@${d}.test`);
  if (s.format === "uuid") return fc.uuid();
  if (s.format === "date-time") return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
  const minLength = s.minLength ?? 0;
  return fc.string({ minLength, maxLength: Math.max(minLength, Math.min(s.maxLength ?? 40, 80)) });
}

function numberArb(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1_000_000);
  const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000_000);
  // fc.double alone hugs 0 and the extremes; integers and the bounds spread the values out.
  const ints = fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
  const bounds = fc.constantFrom(Math.ceil(min), Math.floor(max));
  return integer ? fc.oneof(ints, bounds) : fc.oneof(ints, fc.double({ min, max, noNaN: true }), bounds);
}

/** Values the schema accepts (best effort: formats and patterns it does not know get plain strings). */
export function valid(doc: OpenApiDoc, raw: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(doc, raw);
  if (depth > 6) return fc.constant(null);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => valid(doc, a, depth + 1)));
  if (s.allOf?.[0]) return valid(doc, s.allOf[0], depth + 1);
  if (Array.isArray(s.type)) return fc.oneof(...s.type.map((type) => valid(doc, { ...s, type }, depth + 1)));
  switch (s.type) {
    case "string":
      return stringArb(s);
    case "integer":
    case "number":
      return numberArb(s, s.type === "integer");
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(valid(doc, s.items ?? {}, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 4, 4)) });
    case "object": {
      const props = Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, valid(doc, v, depth + 1)]));
      return fc.record(props, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.constantFrom("", " ", "null", "0", "-1", "1e309", "__proto__", "constructor", "' OR 1=1 --", "<script>", "../../etc/passwd", "%00", "\u0000", "😀".repeat(50)),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.constant("x".repeat(5000)),
);

/** A valid value, or one mutated: a field dropped, retyped or added, or the whole value replaced. */
export function mutated(doc: OpenApiDoc, schema: JsonSchema): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: valid(doc, schema), weight: 3 },
    {
      arbitrary: fc.tuple(valid(doc, schema), fc.nat(), junk, fc.constantFrom("drop", "retype", "add", "proto")).map(([value, n, j, how]) => {
        if (typeof value !== "object" || value === null || Array.isArray(value)) return j;
        const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
        const keys = Object.keys(copy);
        const key = keys.length ? keys[n % keys.length]! : "extra";
        if (how === "drop") delete copy[key];
        else if (how === "retype") copy[key] = j;
        else if (how === "add") copy[`unknown_${n % 5}`] = j;
        else return JSON.parse(`{"__proto__": {"polluted": true}, "${key}": ${JSON.stringify(copy[key] ?? null)}}`);
        return copy;
      }),
      weight: 3,
    },
    { arbitrary: junk, weight: 1 },
  );
}

/** A path or query value: valid for its schema, or junk rendered as a string. */
export function paramValue(doc: OpenApiDoc, schema: JsonSchema | undefined): fc.Arbitrary<string> {
  return fc.oneof(valid(doc, schema ?? { type: "string" }), junk).map((v) => (typeof v === "string" ? v : JSON.stringify(v) ?? ""));
}
