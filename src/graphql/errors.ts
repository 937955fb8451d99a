/**
 * GraphQL errors in the shop's terms: `extensions.code` is the REST error code (NOT_FOUND,
 * UNAUTHENTICATED, VALIDATION_ERROR, …, or QUERY_TOO_COMPLEX), `extensions.details` what the REST
 * envelope's `details` holds, `extensions.requestId` the request's id. GraphQL's own errors
 * (syntax, unknown fields, variable types) are bad input: VALIDATION_ERROR. Anything else is a
 * fault: logged and reported by name, answered as INTERNAL without its message.
 */
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { AppError } from "../lib/errors";

export type ErrorExtensions = { code: string; requestId?: string; details?: Record<string, unknown> };
export type FormattedError = Omit<GraphQLFormattedError, "extensions"> & { extensions: ErrorExtensions };
export type FormattedResult = { data?: unknown; errors?: FormattedError[] };

/** Codes whose answer depends only on the query and the catalog, so a cached answer may keep them. */
const DETERMINISTIC = new Set(["NOT_FOUND", "VALIDATION_ERROR"]);

export function requestError(code: string, message: string, details?: Record<string, unknown>): FormattedError {
  return { message, extensions: { code, ...(details ? { details } : {}) } };
}

export function formatError(error: GraphQLError, onFault: (error: unknown) => void): FormattedError {
  const where = {
    ...(error.locations ? { locations: error.locations } : {}),
    ...(error.path ? { path: error.path } : {}),
  };
  const original = error.originalError;
  if (original instanceof AppError) {
    return { message: original.message, ...where, extensions: { code: original.code, ...(original.details ? { details: original.details } : {}) } };
  }
  if (original && !(original instanceof GraphQLError)) {
    onFault(original);
    return { message: "Internal error", ...where, extensions: { code: "INTERNAL" } };
  }
  return { message: error.message, ...where, extensions: { code: "VALIDATION_ERROR" } };
}

/** Whether an answer with these errors may be stored in the catalog cache. */
export const cacheableErrors = (errors: FormattedError[] | undefined) => (errors ?? []).every((e) => DETERMINISTIC.has(e.extensions.code));

/** Puts the request id into every error (cached answers are stored without one). */
export function stampRequestId(result: FormattedResult, requestId: string): FormattedResult {
  if (!result.errors) return result;
  return { ...result, errors: result.errors.map((e) => ({ ...e, extensions: { ...e.extensions, requestId } })) };
}
