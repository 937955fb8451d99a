import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DOCUMENT_ONLY_HEADERS } from "../../src/http/middleware/security-headers";
import { BASE, call, expectErrorEnvelope } from "../helpers";

describe("HTTP core", () => {
  it("GET /healthz answers ok with a request id and security headers", async () => {
    const res = await call("GET", "/healthz");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: "ok" });
    expect(res.headers.get("X-Request-Id")).toBeTruthy();
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });

  it("sends a JSON answer the API security headers and an HTML page the document ones too", async () => {
    const api = await SELF.fetch(`${BASE}/api/v1/store/products`);
    const docs = await SELF.fetch(`${BASE}/docs`);
    for (const res of [api, docs]) {
      expect(res.headers.get("Strict-Transport-Security")).toBe("max-age=31536000; includeSubDomains");
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("X-Frame-Options")).toBe("DENY");
      expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
      expect(res.headers.get("Cross-Origin-Resource-Policy")).toBe("cross-origin");
    }
    for (const [name, value] of DOCUMENT_ONLY_HEADERS) {
      expect(api.headers.get(name), name).toBeNull();
      expect(docs.headers.get(name), name).toBe(value);
    }
    expect(docs.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(docs.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    await Promise.all([api.arrayBuffer(), docs.arrayBuffer()]);
  });

  it("echoes a well-formed incoming X-Request-Id and replaces a malformed one", async () => {
    const echoed = await call("GET", "/healthz", { headers: { "X-Request-Id": "req-abc.123" } });
    expect(echoed.headers.get("X-Request-Id")).toBe("req-abc.123");
    const replaced = await call("GET", "/healthz", { headers: { "X-Request-Id": "<script>" } });
    expect(replaced.headers.get("X-Request-Id")).not.toBe("<script>");
  });

  it("answers unknown routes with 404 NOT_FOUND in the envelope", async () => {
    const res = await call("GET", "/nope/never");
    expect(res.status).toBe(404);
    expectErrorEnvelope(res, "NOT_FOUND");
  });

  it("answers malformed JSON with 400 VALIDATION_ERROR", async () => {
    const res = await call("POST", "/api/v1/auth/login", { body: "{not json" });
    expect(res.status).toBe(400);
    expectErrorEnvelope(res, "VALIDATION_ERROR");
  });

  it("answers wrong types and missing fields with 422 and per-field issues", async () => {
    const res = await call("POST", "/api/v1/auth/login", { body: { email: 42 } });
    expect(res.status).toBe(422);
    expectErrorEnvelope(res, "VALIDATION_ERROR");
    expect(res.json.error.details.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(["email", "password"]));
  });

  it("answers a JSON array body with 422, not 500", async () => {
    const res = await call("POST", "/api/v1/auth/register", { body: [1, 2, 3] });
    expect(res.status).toBe(422);
  });

  it("answers a body sent without a JSON content type with a 4xx envelope", async () => {
    const res = await call("POST", "/api/v1/auth/login", { body: "email=a", headers: { "Content-Type": "text/plain" } });
    expect([400, 415, 422]).toContain(res.status);
    expect(res.json.error.code).toBe("VALIDATION_ERROR");
  });

  it("answers oversized strings with 422 and oversized bodies with 413", async () => {
    const long = await call("POST", "/api/v1/auth/register", { body: { email: "a@b.co", password: "x".repeat(500), name: "n" } });
    expect(long.status).toBe(422);
    const huge = await call("POST", "/api/v1/auth/register", { body: { email: "a@b.co", password: "p".repeat(70_000), name: "n" } });
    expect(huge.status).toBe(413);
    expectErrorEnvelope(huge, "PAYLOAD_TOO_LARGE");
  });

  it("answers CORS preflights", async () => {
    const res = await SELF.fetch(`${BASE}/api/v1/auth/login`, {
      method: "OPTIONS",
      headers: { Origin: "https://shop.example", "Access-Control-Request-Method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });

  it("serves interactive docs at /docs", async () => {
    const res = await SELF.fetch(`${BASE}/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("/openapi.json");
  });
});
