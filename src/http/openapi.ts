/**
 * Schema building blocks shared by every module's routes: the error envelope, money, pages and
 * security. Kept free of the app's context types so schemas can import it (http/router.ts builds
 * the routers).
 */
// For its side effect: @hono/zod-openapi adds `.openapi()` to zod's schemas, used below at load.
import "@hono/zod-openapi";
import * as z from "zod";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "VALIDATION_ERROR" }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
      requestId: z.string(),
      timestamp: z.string(),
    }),
  })
  .openapi("Error");

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed request",
  401: "Missing or invalid credentials",
  402: "Payment failed",
  403: "Not allowed",
  404: "Not found",
  409: "Conflict with the current state",
  413: "Body too large",
  422: "Validation failed",
  428: "If-Match required",
  429: "Rate limited",
};

/** The documented error answers of a route, all in the shared envelope. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: ERROR_DESCRIPTIONS[status] ?? "Error",
        content: { "application/json": { schema: ErrorSchema } },
      },
    ]),
  );
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } } as const;
}

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

export const MoneySchema = z
  .object({ amount: z.number().int(), currency: z.string().length(3) })
  .openapi("Money");

/** `?limit=&cursor=` per API.md: limit 1–100, default 20; the cursor is opaque. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}

type SecurityRequirement = Record<string, string[]>;
export const bearerSecurity: SecurityRequirement[] = [{ bearerAuth: [] }];
export const adminSecurity: SecurityRequirement[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];

/** The If-Match values the server reads (admin-catalog `parseIfMatch`): `"3"`, `W/"3"` or `3`. */
export const IF_MATCH_PATTERN = '^(?:W/)?"?\\d{1,9}"?$';

/**
 * The If-Match header of versioned writes. The handler reads it (428 when a required one is
 * missing, 400 when unreadable), so zod leaves it optional and the document states the rule.
 */
export function ifMatchHeader(required: boolean) {
  const description = required ? 'The version you read, e.g. "3"; missing → 428, unreadable → 400, stale → 409' : 'Optional version check, e.g. "3"; unreadable → 400, stale → 409';
  return z.object({ "if-match": z.string().optional().openapi({ param: { required }, pattern: IF_MATCH_PATTERN, description, example: '"3"' }) });
}
