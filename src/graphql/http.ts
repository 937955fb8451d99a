/**
 * GraphQL over HTTP: reading `{query, variables, operationName, extensions}` from a POST body or
 * GET query parameters, and choosing the answer's media type. A request that cannot be read is
 * a 400 with one VALIDATION_ERROR (never a 5xx).
 */
import * as z from "zod";
import type { Context } from "hono";
import type { AppEnv } from "../http/types";

/** The body of POST /graphql (and the parameters of GET), also shown in /openapi.json. */
export const GraphQLRequestBody = z
  .object({
    query: z.string().nullish(),
    variables: z.record(z.string(), z.unknown()).nullish(),
    operationName: z.string().nullish(),
    extensions: z
      .object({
        persistedQuery: z
          .object({ version: z.literal(1), sha256Hash: z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex characters") })
          .optional()
          .openapi({ description: "Automatic persisted query: the SHA-256 of the query text" }),
      })
      .nullish(),
  })
  .openapi("GraphQLRequest");

export const GraphQLResponse = z
  .object({
    errors: z
      .array(
        z.object({
          message: z.string(),
          path: z.array(z.union([z.string(), z.number()])).optional(),
          extensions: z.object({ code: z.string(), requestId: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
        }),
      )
      .optional(),
    data: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .openapi("GraphQLResponse");

export type GraphQLParams = {
  query: string | null;
  variables: Record<string, unknown>;
  operationName: string | null;
  /** APQ: the query's SHA-256, with or without the query itself. */
  persistedHash: string | null;
};

export type ReadOutcome = { ok: true; params: GraphQLParams } | { ok: false; message: string };

const fail = (message: string): ReadOutcome => ({ ok: false, message });
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function fromFields(fields: Record<string, unknown>): ReadOutcome {
  const parsed = GraphQLRequestBody.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(`${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  const { query, variables, operationName, extensions } = parsed.data;
  const persistedHash = extensions?.persistedQuery?.sha256Hash ?? null;
  if (!query && !persistedHash) return fail("Must provide a query (or a persisted query hash)");
  return { ok: true, params: { query: query || null, variables: variables ?? {}, operationName: operationName || null, persistedHash } };
}

function parseJson(text: string, name: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, message: `${name} is not valid JSON` };
  }
}

/** GET /graphql?query=…&variables=…&operationName=…&extensions=… (JSON-encoded values). */
export function readQueryString(c: Context<AppEnv>): ReadOutcome {
  const fields: Record<string, unknown> = { query: c.req.query("query"), operationName: c.req.query("operationName") };
  for (const name of ["variables", "extensions"]) {
    const raw = c.req.query(name);
    if (raw === undefined || raw === "") continue;
    const parsed = parseJson(raw, name);
    if (!parsed.ok) return fail(parsed.message);
    fields[name] = parsed.value;
  }
  return fromFields(fields);
}

/** POST /graphql with an `application/json` body. */
export async function readBody(c: Context<AppEnv>): Promise<ReadOutcome> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/(graphql-response\+)?json\b/i.test(type)) return fail("Content-Type must be application/json");
  const parsed = parseJson(await c.req.text(), "The body");
  if (!parsed.ok) return fail(parsed.message);
  if (!isObject(parsed.value)) return fail("The body must be a JSON object");
  return fromFields(parsed.value);
}

export const GRAPHQL_RESPONSE = "application/graphql-response+json; charset=utf-8";
export const JSON_RESPONSE = "application/json; charset=UTF-8";

/**
 * The answer's media type (GraphQL over HTTP): `application/graphql-response+json` when the
 * client accepts it — then a request that fails before execution is a 4xx — else plain JSON,
 * where every well-formed request is answered 200.
 */
export function responseMedia(c: Context<AppEnv>): { type: string; requestErrorStatus: 200 | 400 } {
  const accept = c.req.header("Accept") ?? "";
  return accept.includes("application/graphql-response+json") ? { type: GRAPHQL_RESPONSE, requestErrorStatus: 400 } : { type: JSON_RESPONSE, requestErrorStatus: 200 };
}
