/**
 * Everything decided about a request before it runs — which operation, its coerced variables,
 * the limits, its root fields, the rate-limit groups it counts against, whether it is a public
 * read and its cache key — depends only on the document, the operation name and the variables.
 * So it is worked out once per isolate for each such triple and kept in an LRU of plain values;
 * a storefront repeating its page query pays for none of it again.
 */
import { getOperationAST, getVariableValues, type GraphQLSchema, type OperationTypeNode } from "graphql";
import { sha256Hex } from "../lib/crypto";
import { Lru } from "../lib/lru";
import type { RouteGroup } from "../modules/rate-limit/policies";
import { requestError, type FormattedError } from "./errors";
import type { Prepared } from "./execute";
import { checkLimits } from "./limits";
import { isPublicRead, rateLimitGroups, rootFields } from "./operation";

export type Plan =
  | { ok: false; errors: FormattedError[] }
  | {
      ok: true;
      kind: OperationTypeNode;
      groups: RouteGroup[];
      /** Set for a query of public fields only: its key in the catalog cache. */
      cacheKey: string | null;
    };

const PLAN_TTL_MS = 10 * 60_000;
const plans = new WeakMap<GraphQLSchema, Lru<Plan>>();

/** Sorted keys, so `{a, b}` and `{b, a}` share one plan and one cache entry. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  return value;
}

async function work(schema: GraphQLSchema, prepared: Prepared, operationName: string | null, variables: Record<string, unknown>, variablesKey: string): Promise<Plan> {
  const operation = getOperationAST(prepared.document!, operationName);
  if (!operation) return { ok: false, errors: [requestError("VALIDATION_ERROR", "Name the operation to run (operationName)")] };
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 10 });
  if (coerced.errors) return { ok: false, errors: coerced.errors.map((e) => requestError("VALIDATION_ERROR", e.message)) };
  const limits = checkLimits(schema, operation, prepared.fragments, coerced.variableValues);
  if (!limits.ok) return { ok: false, errors: [requestError(limits.code, limits.message, limits.details)] };
  const fields = rootFields(operation, prepared.fragments);
  const cacheKey = isPublicRead(schema, operation, fields) ? `gql:${await sha256Hex(JSON.stringify([prepared.hash, operationName, variablesKey]))}` : null;
  return { ok: true, kind: operation.operation, groups: rateLimitGroups(schema, operation, fields), cacheKey };
}

/** The plan of a request (memoized per document, operation name and variables). */
export async function planOf(schema: GraphQLSchema, prepared: Prepared, operationName: string | null, variables: Record<string, unknown>, now = Date.now()): Promise<Plan> {
  let cache = plans.get(schema);
  if (!cache) plans.set(schema, (cache = new Lru<Plan>({ maxEntries: 2_000, maxBytes: 4 * 1024 * 1024 })));
  const variablesKey = JSON.stringify(canonical(variables));
  const key = `${prepared.hash}\u0000${operationName ?? ""}\u0000${variablesKey}`;
  const known = cache.get(key, now);
  if (known) return known;
  const plan = await work(schema, prepared, operationName, variables, variablesKey);
  cache.set(key, plan, key.length * 2 + 512, now + PLAN_TTL_MS);
  return plan;
}
