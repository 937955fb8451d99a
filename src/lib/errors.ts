/** One error type, one envelope (DESIGN.md "HTTP conventions"). */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

export type ErrorCode =
  | "VALIDATION_ERROR"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "CONFLICT"
  | "VERSION_CONFLICT"
  | "PRECONDITION_REQUIRED"
  | "PAYLOAD_TOO_LARGE"
  | "INSUFFICIENT_INVENTORY"
  | "INVALID_STATE"
  | "PAYMENT_FAILED"
  | "IDEMPOTENCY_CONFLICT"
  | "RATE_LIMITED"
  | "INTERNAL";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: ContentfulStatusCode,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const notFound = (what = "Resource") => new AppError("NOT_FOUND", `${what} not found`, 404);
export const unauthenticated = (message = "Authentication required") =>
  new AppError("UNAUTHENTICATED", message, 401);
export const forbidden = (message = "Not allowed") => new AppError("FORBIDDEN", message, 403);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new AppError("CONFLICT", message, 409, details);
export const invalidState = (message: string, details?: Record<string, unknown>) =>
  new AppError("INVALID_STATE", message, 409, details);

export type Issue = { path: string; message: string };

export function issuesFromZod(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}

/** Well-formed input that fails its schema: 422 with `details.issues` (API.md). */
export function validationError(error: z.ZodError | Issue[]): AppError {
  const issues = Array.isArray(error) ? error : issuesFromZod(error);
  return new AppError("VALIDATION_ERROR", "Request validation failed", 422, { issues });
}

export type ErrorBody = {
  error: {
    code: ErrorCode;
    message: string;
    details?: Record<string, unknown>;
    requestId: string;
    timestamp: string;
  };
};

export function errorBody(error: AppError, requestId: string): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
      requestId,
      timestamp: new Date().toISOString(),
    },
  };
}
