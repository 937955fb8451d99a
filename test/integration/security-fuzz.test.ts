/**
 * Invariant: no request — valid, mutated or junk, built from each operation's schemas in the
 * generated /openapi.json — produces a 5xx or an error outside the envelope; and every answer is
 * one the document promises: its status is documented for that operation, and a JSON body
 * matches the documented schema (checked by an independent JSON Schema 2020-12 validator).
 * New routes are fuzzed automatically; the runs per operation are bounded so the suite stays fast.
 * The same holds for /graphql: documents drawn from the running schema never produce a 5xx, an
 * INTERNAL error, or an error without a REST code and the request id.
 */
import { Validator } from "@cfworker/json-schema";
import fc from "fast-check";
import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { storefrontSchema } from "../../src/graphql/schema";
import { graphqlRequestArb } from "../graphql-arbitraries";
import { BASE, call, createAdmin, registerCustomer } from "../helpers";
import { mutated, paramValue, type OpenApiDoc, type Operation } from "../openapi-arbitraries";

const RUNS_PER_OPERATION = 25;
const doc = (await call("GET", "/openapi.json")).json as OpenApiDoc;
// /graphql answers in GraphQL's shape, not the REST envelope: it is fuzzed below with documents.
const operations = Object.entries(doc.paths)
  .filter(([path]) => path !== "/graphql")
  .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op: op as Operation })));

// The components become $defs so that one schema document resolves every $ref.
const toDefs = <T>(value: T): T => JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', '"#/$defs/'));
const defs = toDefs(doc.components?.schemas ?? {});
const validators = new Map<string, Validator>();
function validatorFor(key: string, schema: object): Validator {
  let validator = validators.get(key);
  if (!validator) validators.set(key, (validator = new Validator({ ...toDefs(schema), $defs: defs } as never, "2020-12", false)));
  return validator;
}

/** The documented answer for a status: exact, then its class (4XX), then default. */
function documented(op: Operation, status: number) {
  return op.responses?.[String(status)] ?? op.responses?.[`${String(status)[0]}XX`] ?? op.responses?.default;
}

let adminToken: string;
beforeAll(async () => {
  adminToken = (await createAdmin()).token;
});

function requestArb(path: string, op: Operation) {
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === "path");
  const queryParams = params.filter((p) => p.in === "query");
  const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
  return fc.record({
    path: fc.tuple(...pathParams.map((p) => paramValue(doc, p.schema))).map((values) => ({
      url: pathParams.reduce((acc, p, i) => acc.replace(`{${p.name}}`, encodeURIComponent(values[i]!)), path),
      // "", "." and ".." never reach this operation: the URL becomes another path.
      addressesOperation: values.every((v) => v !== "" && v !== "." && v !== ".."),
    })),
    query: fc.subarray(queryParams).chain((chosen) =>
      fc.tuple(...chosen.map((p) => paramValue(doc, p.schema))).map((values) => new URLSearchParams(chosen.map((p, i) => [p.name, values[i]!])).toString()),
    ),
    // constantFrom leans towards its first value: mostly schema-shaped bodies, sometimes none or broken JSON.
    mode: fc.constantFrom("body", "body", "body", "body", "body", "none", "raw"),
    body: bodySchema ? mutated(doc, bodySchema) : fc.constant(undefined),
    rawBody: fc.constantFrom("{", "[1,", '{"a":1}}', "\u0000", "true"),
    authenticated: fc.boolean(),
  });
}

function isEnvelope(json: any): boolean {
  const e = json?.error;
  return typeof e?.code === "string" && typeof e.message === "string" && typeof e.requestId === "string" && typeof e.timestamp === "string";
}

describe("fuzzing every documented operation", () => {
  it("has operations to fuzz", () => expect(operations.length).toBeGreaterThan(5));

  for (const { method, path, op } of operations) {
    it(`${method} ${path} never answers 5xx or outside the error envelope`, async () => {
      await fc.assert(
        fc.asyncProperty(requestArb(path, op), async (req) => {
          const headers: Record<string, string> = { "CF-Connecting-IP": "192.0.2.250" };
          if (req.authenticated && op.security?.length) headers.Authorization = `Bearer ${adminToken}`;
          let body: string | undefined;
          if (method !== "GET" && method !== "HEAD") {
            body = req.mode === "raw" ? req.rawBody : req.mode === "none" || req.body === undefined ? undefined : JSON.stringify(req.body);
            if (body !== undefined) headers["Content-Type"] = "application/json";
          }
          const url = `${BASE}${req.path.url}${req.query ? `?${req.query}` : ""}`;
          const res = await SELF.fetch(url, { method, headers, body });
          const text = await res.text();
          const where = `${method} ${url} ${body ?? ""} → ${res.status} ${text.slice(0, 200)}`;
          expect(res.status, where).toBeLessThan(500);
          if (res.status >= 400) expect(isEnvelope(text ? JSON.parse(text) : null), where).toBe(true);
          if (!req.path.addressesOperation) return;
          const answer = documented(op, res.status);
          expect(answer, `undocumented status: ${where}`).toBeDefined();
          const schema = answer?.content?.["application/json"]?.schema;
          if (schema && text) {
            expect(res.headers.get("Content-Type"), where).toMatch(/^application\/json/);
            const result = validatorFor(`${method} ${path} ${res.status}`, schema).validate(JSON.parse(text));
            expect(result.valid, `body breaks its schema: ${where} ${JSON.stringify(result.errors.slice(0, 4))}`).toBe(true);
          }
        }),
        { numRuns: RUNS_PER_OPERATION },
      );
    });
  }
});

/** The codes a GraphQL answer may carry: the REST codes plus GraphQL's own, never INTERNAL. */
const GRAPHQL_CODES = new Set([
  "VALIDATION_ERROR", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "INSUFFICIENT_INVENTORY", "INVALID_STATE",
  "PAYMENT_FAILED", "IDEMPOTENCY_CONFLICT", "RATE_LIMITED", "QUERY_TOO_COMPLEX", "PERSISTED_QUERY_NOT_FOUND",
]);

describe("fuzzing /graphql", () => {
  it("never answers 5xx, INTERNAL, or an error without a code and the request id", async () => {
    const shopper = await registerCustomer("fuzzer");
    await fc.assert(
      fc.asyncProperty(graphqlRequestArb(storefrontSchema()), async (req) => {
        const headers: Record<string, string> = { "CF-Connecting-IP": "192.0.2.251" };
        if (req.authenticated) headers.Authorization = `Bearer ${shopper.token}`;
        let res: Response;
        if (req.method === "GET") {
          const params = new URLSearchParams({ query: req.document });
          if (req.variables !== undefined) params.set("variables", JSON.stringify(req.variables));
          res = await SELF.fetch(`${BASE}/graphql?${params}`, { headers });
        } else {
          headers["Content-Type"] = "application/json";
          res = await SELF.fetch(`${BASE}/graphql`, { method: "POST", headers, body: JSON.stringify({ query: req.document, variables: req.variables }) });
        }
        const text = await res.text();
        const where = `seed ${req.seed} ${req.method} ${req.document} ${JSON.stringify(req.variables) ?? ""} → ${res.status} ${text.slice(0, 300)}`;
        expect(res.status, where).toBeLessThan(500);
        const json = JSON.parse(text);
        expect("data" in json || "errors" in json, where).toBe(true);
        for (const error of json.errors ?? []) {
          expect(GRAPHQL_CODES.has(error.extensions?.code), where).toBe(true);
          expect(error.extensions.requestId, where).toBe(res.headers.get("X-Request-Id"));
          expect(typeof error.message, where).toBe("string");
        }
      }),
      { numRuns: 200 },
    );
  });
});
