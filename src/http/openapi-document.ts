/**
 * Completes the generated OpenAPI document with what the shared middleware does to every
 * operation, so each route does not repeat it: an operationId, `security: []` on public
 * operations, the answers of the body limit (413), of parameter validation (400/422), of auth
 * (401/403) and of the rate limiter (429), and the headers every answer carries (X-Request-Id,
 * RateLimit, RateLimit-Policy, Retry-After). The facts come from the same code the middleware
 * runs (routeGroup), so the document cannot drift from it.
 */
import { routeGroup } from "../modules/rate-limit/policies";

type Json = Record<string, any>;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

const ERROR_DESCRIPTIONS: Record<string, string> = {
  "400": "Malformed request (unreadable JSON, cursor or header)",
  "401": "Missing or invalid credentials",
  "403": "Not allowed",
  "413": "Body larger than BODY_LIMIT_BYTES",
  "422": "Validation failed (details.issues lists each problem)",
  "428": "If-Match required",
  "429": "Rate limited; retry after Retry-After seconds",
};

export const RESPONSE_HEADERS: Json = {
  "X-Request-Id": { description: "The request's id (echoed when sent, else generated); also in error bodies", schema: { type: "string" } },
  RateLimit: { description: "Remaining requests and seconds to reset of the route group's window (IETF RateLimit fields)", schema: { type: "string" } },
  "RateLimit-Policy": { description: "The route group's policy: limit and window (IETF RateLimit fields)", schema: { type: "string" } },
  "Retry-After": { description: "Seconds until a request may succeed again", schema: { type: "integer", minimum: 0 } },
};
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** `get /api/v1/admin/webhooks/{id}/rotate-secret` → `getAdminWebhooksByIdRotateSecret`. */
export function operationIdFor(method: string, path: string): string {
  const words = path
    .replace(/^\/api\/v1/, "")
    .split(/[/-]/)
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      const word = param ? `By${param[1]!.charAt(0).toUpperCase()}${param[1]!.slice(1)}` : segment;
      return word.charAt(0).toUpperCase() + word.slice(1);
    });
  return `${method}${words.join("")}`;
}

function errorResponse(status: string): Json {
  return { description: ERROR_DESCRIPTIONS[status] ?? "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
}

function completeOperation(method: string, path: string, op: Json) {
  op.operationId ??= operationIdFor(method, path);
  const responses: Json = (op.responses ??= {});
  const add = (status: string) => (responses[status] ??= errorResponse(status));
  const security: Json[] = (op.security ??= []);
  const params: Json[] = op.parameters ?? [];

  if (op.requestBody) ["400", "413", "422"].forEach(add);
  if (params.length > 0) add("422");
  if (params.some((p) => p.in === "query" && p.name === "cursor")) add("400");
  const ifMatch = params.find((p) => p.in === "header" && p.name.toLowerCase() === "if-match");
  if (ifMatch) add("400");
  if (ifMatch?.required) add("428");
  // A query, path or header value is text: it can never be JSON null, whatever a coercing schema says.
  for (const p of params) {
    if (!Array.isArray(p.schema?.type)) continue;
    const types = p.schema.type.filter((t: string) => t !== "null");
    p.schema.type = types.length === 1 ? types[0] : types;
  }
  if (security.length > 0) add("401");
  if (security.some((s) => "apiKeyAuth" in s)) add("403");

  const limited = routeGroup(method.toUpperCase(), path.replace(/\{[^}]+\}/g, "x")) !== null;
  if (limited) add("429");
  for (const [status, response] of Object.entries(responses)) {
    if (response.$ref) continue;
    const headers: Json = (response.headers ??= {});
    headers["X-Request-Id"] ??= headerRef("X-Request-Id");
    if (limited) {
      headers.RateLimit ??= headerRef("RateLimit");
      headers["RateLimit-Policy"] ??= headerRef("RateLimit-Policy");
    }
    if (status === "429") headers["Retry-After"] ??= headerRef("Retry-After");
  }
}

/** Adds what the shared middleware does to each operation (see the file comment); mutates and answers `doc`. */
export function finishDocument<T extends Json>(doc: T): T {
  const components: Json = ((doc as Json).components ??= {});
  components.headers = { ...RESPONSE_HEADERS, ...components.headers };
  for (const [path, item] of Object.entries((doc as Json).paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Json)[method];
      if (op) completeOperation(method, path, op);
    }
  }
  return doc;
}
