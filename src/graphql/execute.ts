/**
 * Parsing, validation and execution. A document is parsed (token-bounded) and validated once per
 * isolate and query text, then kept in an LRU of plain values (never a promise: workerd refuses
 * I/O settled on behalf of another request); each request only coerces its variables, checks
 * the limits and executes.
 */
import {
  execute,
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
} from "graphql";
import { sha256Hex } from "../lib/crypto";
import { Lru } from "../lib/lru";
import type { GraphQLContext } from "./context";
import { formatError, requestError, type FormattedError, type FormattedResult } from "./errors";
import { LIMITS } from "./limits";

export type Prepared = {
  document: DocumentNode | null;
  fragments: Map<string, FragmentDefinitionNode>;
  /** Syntax and validation errors; empty for a runnable document. */
  errors: FormattedError[];
  /** SHA-256 of the query text (cache keys, persisted queries). */
  hash: string;
};

const DOCUMENT_TTL_MS = 60 * 60_000;
const documents = new WeakMap<GraphQLSchema, Lru<Prepared>>();

function located(error: GraphQLError): FormattedError {
  return { ...requestError("VALIDATION_ERROR", error.message), ...(error.locations ? { locations: error.locations } : {}) };
}

/** Parses and validates a query once per isolate; later requests with the same text reuse it. */
export async function prepare(schema: GraphQLSchema, query: string, now = Date.now()): Promise<Prepared> {
  let cache = documents.get(schema);
  if (!cache) documents.set(schema, (cache = new Lru<Prepared>({ maxEntries: 500, maxBytes: 8 * 1024 * 1024 })));
  const known = cache.get(query, now);
  if (known) return known;
  const hash = await sha256Hex(query);
  let prepared: Prepared;
  try {
    const document = parse(query, { maxTokens: LIMITS.maxTokens });
    const errors = validate(schema, document, specifiedRules, { maxErrors: 20 }).map(located);
    const fragments = new Map(
      document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
    );
    prepared = { document, fragments, errors, hash };
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    prepared = { document: null, fragments: new Map(), errors: [located(error)], hash };
  }
  // A parsed document holds roughly ten times its text in AST objects.
  cache.set(query, prepared, query.length * 20 + 256, now + DOCUMENT_TTL_MS);
  return prepared;
}

/** Executes a prepared, limit-checked operation; errors come back in the shop's terms. */
export async function run(
  schema: GraphQLSchema,
  prepared: Prepared,
  request: { operationName: string | null; variables: Record<string, unknown> },
  context: GraphQLContext,
  onFault: (error: unknown) => void,
): Promise<FormattedResult> {
  const result = await execute({
    schema,
    document: prepared.document!,
    operationName: request.operationName,
    variableValues: request.variables,
    contextValue: context,
  });
  const errors = result.errors?.length ? result.errors.map((e) => formatError(e, onFault)) : undefined;
  return { ...(errors ? { errors } : {}), ...(result.data !== undefined ? { data: result.data } : {}) };
}
