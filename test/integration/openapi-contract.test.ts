/**
 * The answers third-party tools (Redocly, a strict validator, Schemathesis, a Prism proxy) found
 * inconsistent or undocumented: each is now one rule, and the document says what the server does.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { call, createAdmin, expectErrorEnvelope, registerCustomer } from "../helpers";

type Doc = { paths: Record<string, Record<string, any>>; webhooks: Record<string, any> };
let doc: Doc;
let admin: { token: string };
beforeAll(async () => {
  doc = (await call("GET", "/openapi.json")).json;
  admin = await createAdmin();
});

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method, path, op: op as Record<string, any> })));

describe("the document", () => {
  it("gives every operation a unique operationId and public ones an explicit empty security", () => {
    const ids = operations().map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths["/api/v1/store/products"]!.get.security).toEqual([]);
    expect(doc.paths["/api/v1/admin/webhooks"]!.post.security).toEqual([{ bearerAuth: [] }, { apiKeyAuth: [] }]);
  });

  it("documents 413 on every body, 422 on every validated parameter, 429 and the RateLimit headers where the limiter applies", () => {
    for (const { method, path, op } of operations()) {
      const where = `${method} ${path}`;
      if (op.requestBody) expect(op.responses["413"], where).toBeDefined();
      if (op.parameters?.length) expect(op.responses["422"], where).toBeDefined();
      if (path !== "/healthz") expect(op.responses["429"]?.headers?.["Retry-After"], where).toBeDefined();
      for (const response of Object.values(op.responses) as any[]) expect(response.headers?.["X-Request-Id"], where).toBeDefined();
    }
    expect(doc.paths["/api/v1/store/products"]!.get.responses["200"].headers.RateLimit).toBeDefined();
  });

  it("states If-Match as the server reads it: required (428) with a pattern where versions are enforced", () => {
    const ifMatch = doc.paths["/api/v1/admin/products/{id}"]!.patch.parameters.find((p: any) => p.name === "if-match");
    expect(ifMatch).toMatchObject({ in: "header", required: true, schema: { pattern: expect.any(String) } });
    expect(doc.paths["/api/v1/admin/products/{id}"]!.patch.responses["428"]).toBeDefined();
  });

  it("types every outbound webhook event in the webhooks section", () => {
    expect(Object.keys(doc.webhooks)).toEqual(expect.arrayContaining(["order.placed", "inventory.low_stock", "product.deleted", "ping"]));
  });
});

describe("one rule for unreadable cursors: 400", () => {
  it.each(["/api/v1/store/orders?cursor=zzz", "/api/v1/admin/products?cursor=zzz", "/api/v1/admin/webhooks?cursor=zzz", "/api/v1/store/products?cursor=zzz"])("%s", async (path) => {
    const token = path.includes("/store/orders") ? (await registerCustomer()).token : admin.token;
    const res = await call("GET", path, { token });
    expect(res.status).toBe(400);
    expectErrorEnvelope(res, "VALIDATION_ERROR");
  });
});

describe("dates", () => {
  it("refuses an impossible date instead of rolling it over, naming the field", async () => {
    const res = await call("GET", "/api/v1/admin/analytics/sales?from=2026-02-30", { token: admin.token });
    expect(res.status).toBe(422);
    expect(res.json.error.details.issues).toEqual([expect.objectContaining({ path: "from" })]);
  });

  it("names `to` when the range ends before it starts", async () => {
    const res = await call("GET", "/api/v1/admin/analytics/sales?from=2026-03-01&to=2026-02-01", { token: admin.token });
    expect(res.status).toBe(422);
    expect(res.json.error.details.issues).toEqual([expect.objectContaining({ path: "to" })]);
  });
});

describe("methods", () => {
  it("answers 405 with Allow for a method a known path does not have, 404 for an unknown path", async () => {
    const res = await call("PUT", "/api/v1/store/products");
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
    expectErrorEnvelope(res, "METHOD_NOT_ALLOWED");
    const webhook = await call("PUT", "/api/v1/admin/webhooks/whe_1", { token: admin.token });
    expect(webhook.headers.get("Allow")).toBe("DELETE, GET, HEAD, PATCH");
    expect((await call("GET", "/api/v1/nowhere")).status).toBe(404);
  });
});

describe("credentials", () => {
  it("refuses a request that presents an invalid API key, even beside a valid admin token", async () => {
    const res = await call("GET", "/api/v1/admin/webhooks", { token: admin.token, apiKey: "esk_bogus" });
    expect(res.status).toBe(401);
    expectErrorEnvelope(res, "UNAUTHENTICATED");
    expect((await call("GET", "/api/v1/admin/webhooks", { token: admin.token })).status).toBe(200);
  });
});

describe("query values are never null", () => {
  it("documents minPrice as an integer and refuses minPrice=null", async () => {
    const minPrice = doc.paths["/api/v1/store/products"]!.get.parameters.find((p: any) => p.name === "minPrice");
    expect(minPrice.schema.type).toBe("integer");
    expect((await call("GET", "/api/v1/store/products?minPrice=null")).status).toBe(422);
  });
});
