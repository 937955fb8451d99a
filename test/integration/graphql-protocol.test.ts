/**
 * GraphQL over HTTP as a client meets it: persisted queries by SHA-256 (and the GETs they make
 * cacheable), what GET may carry, bad input answered with VALIDATION_ERROR (never a 5xx), the
 * depth and cost limits (introspection included), and the explorer page by configuration.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { getIntrospectionQuery } from "graphql";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { createProduct } from "../factories/catalog";
import { BASE, call, errorCodes, graphql, registerCustomer } from "../helpers";

async function sha256(text: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

describe("persisted queries (APQ)", () => {
  it("asks for an unknown hash, registers it with its query, then answers the hash alone as a cacheable GET", async () => {
    await createProduct();
    const query = `query Shelf { products(first: 2) { edges { node { id title } } } }`;
    const hash = await sha256(query);
    const url = `/graphql?extensions=${encodeURIComponent(JSON.stringify(persisted(hash)))}`;

    const unknown = await call("GET", url);
    expect(unknown.status).toBe(200);
    expect(unknown.json.errors[0]).toMatchObject({ message: "PersistedQueryNotFound", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } });
    // A normal step of the protocol: counted as a store read, not as junk.
    expect(unknown.headers.get("RateLimit-Policy")).toMatch(/^"storeRead"/);

    const registered = await call("POST", "/graphql", { body: { query, extensions: persisted(hash) } });
    expect(registered.json.data.products.edges.length).toBeGreaterThan(0);

    const byHash = await call("GET", url);
    expect(byHash.status).toBe(200);
    expect(byHash.json).toEqual(registered.json);
    expect(byHash.headers.get("Cache-Control")).toMatch(/^public, max-age=\d+/);
    expect(byHash.headers.get("ETag")).toBeTruthy();
    expect(byHash.headers.get("X-Cache")).toMatch(/^HIT-/);
  });

  it("refuses a query that does not match its hash, and never registers it", async () => {
    const hash = await sha256("{ regions { code } }");
    const res = await call("POST", "/graphql", { body: { query: "{ collections { id } }", extensions: persisted(hash) } });
    expect(errorCodes(res)).toEqual(["VALIDATION_ERROR"]);
    const lookup = await call("POST", "/graphql", { body: { extensions: persisted(hash) } });
    expect(errorCodes(lookup)).toEqual(["PERSISTED_QUERY_NOT_FOUND"]);
  });

  it("answers a malformed persisted-query extension with 400 VALIDATION_ERROR", async () => {
    for (const extensions of [{ persistedQuery: { version: 2, sha256Hash: "a".repeat(64) } }, { persistedQuery: { version: 1, sha256Hash: "xyz" } }]) {
      const res = await call("POST", "/graphql", { body: { extensions } });
      expect(res.status).toBe(400);
      expect(errorCodes(res)).toEqual(["VALIDATION_ERROR"]);
    }
  });
});

describe("GET /graphql", () => {
  it("runs queries but refuses a mutation with 405 and Allow: POST", async () => {
    const res = await graphql(`mutation { removeCartItem(itemId: "item_x") { id } }`, { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("POST");
    expect(errorCodes(res)).toEqual(["VALIDATION_ERROR"]);
  });
});

describe("bad input", () => {
  const cases: [string, { body?: unknown; headers?: Record<string, string> }, number][] = [
    ["a body that is not JSON", { body: "{", headers: { "Content-Type": "application/json" } }, 400],
    ["a body that is not an object", { body: "[1]", headers: { "Content-Type": "application/json" } }, 400],
    ["another content type", { body: "query { regions { code } }", headers: { "Content-Type": "text/plain" } }, 400],
    ["no query", { body: {} }, 400],
    ["a query that is not a string", { body: { query: 42 } }, 400],
    ["variables that are not an object", { body: { query: "{ regions { code } }", variables: [1] } }, 400],
    ["a syntax error", { body: { query: "{ products(first: ) }" } }, 200],
    ["an unknown field", { body: { query: "{ secrets }" } }, 200],
    ["a variable of the wrong type", { body: { query: "query($n: Int) { products(first: $n) { edges { cursor } } }", variables: { n: "many" } } }, 200],
    ["an Int beyond 32 bits", { body: { query: "{ products(first: 99999999999) { edges { cursor } } }" } }, 200],
    ["an unknown operation name", { body: { query: "query A { regions { code } }", operationName: "B" } }, 200],
    ["a subscription", { body: { query: "subscription { regions { code } }" } }, 200],
  ];
  for (const [name, request, status] of cases) {
    it(`answers ${name} with ${status} VALIDATION_ERROR and the request id`, async () => {
      const res = await call("POST", "/graphql", request);
      expect(res.status).toBe(status);
      expect(errorCodes(res)).toContain("VALIDATION_ERROR");
      expect(new Set(errorCodes(res))).toEqual(new Set(["VALIDATION_ERROR"]));
      expect(res.json.errors[0].extensions.requestId).toBe(res.headers.get("X-Request-Id"));
      expect(res.json.data).toBeUndefined();
    });
  }

  it("answers request errors with 400 to clients that accept application/graphql-response+json", async () => {
    const res = await call("POST", "/graphql", { body: { query: "{ secrets }" }, headers: { Accept: "application/graphql-response+json" } });
    expect(res.status).toBe(400);
    expect(res.headers.get("Content-Type")).toContain("application/graphql-response+json");
  });

  it("answers a bad cursor or an empty search in a resolver as VALIDATION_ERROR, not a fault", async () => {
    const cursor = await graphql(`{ products(after: "not-a-cursor") { edges { cursor } } }`);
    expect(errorCodes(cursor)).toEqual(["VALIDATION_ERROR"]);
    const search = await graphql(`{ products(q: "!!!") { edges { cursor } } }`);
    expect(errorCodes(search)).toEqual(["VALIDATION_ERROR"]);
  });
});

describe("limits", () => {
  it("refuses `first` above the field's maximum with VALIDATION_ERROR naming the argument", async () => {
    for (const query of ["{ products(first: 101) { edges { cursor } } }", "{ products(first: 0) { edges { cursor } } }", "{ products(first: 1) { edges { node { recommendations(first: 21) { id } } } } }"]) {
      const res = await graphql(query);
      expect(errorCodes(res)).toEqual(["VALIDATION_ERROR"]);
      expect(res.json.errors[0].extensions.details.issues[0].path).toMatch(/first$/);
    }
  });

  it("refuses a query deeper than the limit with QUERY_TOO_COMPLEX", async () => {
    const deep = `{ categories { ${"children { ".repeat(15)}id${" }".repeat(15)} } }`;
    const res = await graphql(deep);
    expect(errorCodes(res)).toEqual(["QUERY_TOO_COMPLEX"]);
    expect(res.json.errors[0].extensions.details).toMatchObject({ maxDepth: 15 });
  });

  it("refuses lists of lists whose answer could be huge, however the query spells them", async () => {
    const wide = "{ products(first: 100) { edges { node { recommendations(first: 20) { recommendations(first: 20) { id } } } } } }";
    expect(errorCodes(await graphql(wide))).toEqual(["QUERY_TOO_COMPLEX"]);
    const aliases = `{ ${Array.from({ length: 30 }, (_, i) => `p${i}: products(first: 100) { edges { node { variants { id } } } }`).join(" ")} }`;
    expect(errorCodes(await graphql(aliases))).toEqual(["QUERY_TOO_COMPLEX"]);
    const viaFragments = `query { ...A } fragment A on Query { products(first: 100) { edges { node { ...B } } } } fragment B on Product { recommendations(first: 20) { ...C } } fragment C on Product { recommendations(first: 20) { id } }`;
    expect(errorCodes(await graphql(viaFragments))).toEqual(["QUERY_TOO_COMPLEX"]);
  });

  it("counts introspection like any other field: nested or repeated introspection is refused, the standard query answered", async () => {
    const nested = "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }";
    const refused = await graphql(nested);
    expect(errorCodes(refused)).toEqual(["VALIDATION_ERROR"]);
    expect(refused.json.errors[0].message).toMatch(/introspection depth/i);
    const one = "__schema { types { fields { args { type { name } } type { name } } } }";
    const repeated = `{ ${Array.from({ length: 60 }, (_, i) => `a${i}: ${one}`).join(" ")} }`;
    expect(errorCodes(await graphql(repeated))).toEqual(["QUERY_TOO_COMPLEX"]);
    const standard = await graphql(getIntrospectionQuery());
    expect(standard.json.errors).toBeUndefined();
    expect(standard.json.data.__schema.queryType.name).toBe("Query");
  });

  it("answers a storefront page query of 20 products with variants, prices, reviews and recommendations", async () => {
    const res = await graphql(`{ products(first: 20) { edges { node { id title category { name } variants { id price { amount currency } available }
      priceRange { min { amount } max { amount } } rating { average count } reviews(first: 3) { rating title author { name } }
      recommendations(first: 4) { id title priceRange { min { amount } } } } } } }`);
    expect(res.json.errors).toBeUndefined();
  });
});

describe("explorer", () => {
  async function fetchWith(vars: Record<string, string>, init: RequestInit) {
    const ctx = createExecutionContext();
    const res = await createApp().fetch(new Request(`${BASE}/graphql`, init), { ...env, ...vars }, ctx);
    await waitOnExecutionContext(ctx);
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  it("serves the explorer to a browser in development, with no third-party script and a nonce CSP", async () => {
    const res = await call("GET", "/graphql", { headers: { Accept: "text/html,application/xhtml+xml" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/html");
    expect(res.text).toContain("type Query {");
    expect(res.text).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    const nonce = /<script nonce="([^"]+)"/.exec(res.text)![1];
    expect(res.headers.get("Content-Security-Policy")).toContain(`script-src 'nonce-${nonce}'`);
    expect(res.headers.get("Content-Security-Policy")).toContain("connect-src 'self'");
  });

  it("is off where configured: a browser's GET is then an ordinary GraphQL request", async () => {
    const res = await fetchWith({ GRAPHQL_EXPLORER: "off" }, { headers: { Accept: "text/html" } });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).errors[0].extensions.code).toBe("VALIDATION_ERROR");
    const production = await fetchWith({ ENVIRONMENT: "production" }, { headers: { Accept: "text/html" } });
    expect(production.status).toBe(400);
  });

  it("runs queries but no mutations when read-only", async () => {
    const shopper = await registerCustomer();
    const headers = { "Content-Type": "application/json", Authorization: `Bearer ${shopper.token}`, "X-GraphQL-Explorer": "read-only" };
    const page = await fetchWith({ GRAPHQL_EXPLORER: "read-only" }, { headers: { Accept: "text/html" } });
    expect(page.text).toContain('data-mode="read-only"');
    const mutation = await fetchWith({ GRAPHQL_EXPLORER: "read-only" }, { method: "POST", headers, body: JSON.stringify({ query: 'mutation { removeCartItem(itemId: "item_x") { id } }' }) });
    expect(JSON.parse(mutation.text).errors[0].extensions.code).toBe("FORBIDDEN");
    const query = await fetchWith({ GRAPHQL_EXPLORER: "read-only" }, { method: "POST", headers, body: JSON.stringify({ query: "{ cart { id } }" }) });
    expect(JSON.parse(query.text).data.cart.id).toMatch(/^cart_/);
  });
});
