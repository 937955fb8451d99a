import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { call } from "../helpers";

const UNDOCUMENTED = new Set(["/openapi.json", "/docs"]);

/** Hono paths use `:id`; OpenAPI uses `{id}`. */
const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document", async () => {
    const res = await call("GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe("3.1.0");
    expect(res.json.paths["/api/v1/auth/login"].post).toBeDefined();
  });

  it("documents every route the app registers", async () => {
    const doc = (await call("GET", "/openapi.json")).json;
    const registered = createApp()
      .routes.filter((r) => r.method !== "ALL" && !UNDOCUMENTED.has(r.path))
      .map((r) => `${r.method.toLowerCase()} ${toOpenApiPath(r.path)}`);
    const documented = new Set(
      Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method} ${path}`),
      ),
    );
    const missing = [...new Set(registered)].filter((route) => !documented.has(route));
    expect(missing).toEqual([]);
  });
});

describe("sdk/openapi.json", () => {
  it("is exactly the document the server serves (regenerate with `npm run sdk:generate`)", async () => {
    const committed = (await import("../../sdk/openapi.json?raw")).default;
    const served = (await call("GET", "/openapi.json")).json;
    expect(JSON.parse(committed)).toEqual(served);
  });
});
