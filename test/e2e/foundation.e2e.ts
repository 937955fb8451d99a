import { describe, expect, it } from "vitest";
import { api, eventually, login, newCustomer, rawFetch, SEED_ADMIN, SEED_CUSTOMER } from "./client";

describe("the dev server (black box)", () => {
  it("answers /healthz, /openapi.json and /docs", async () => {
    expect((await api().GET("/healthz")).data).toEqual({ status: "ok" });
    const doc = await rawFetch("/openapi.json");
    expect(((await doc.json()) as { openapi: string }).openapi).toBe("3.1.0");
    expect((await rawFetch("/docs")).status).toBe(200);
  });

  it("signs in the seeded admin and customer with the documented dev credentials", async () => {
    const admin = await login(SEED_ADMIN);
    const customer = await login(SEED_CUSTOMER);
    expect((await api({ token: admin.accessToken }).GET("/api/v1/auth/me")).data?.role).toBe("ADMIN");
    expect((await api({ token: customer.accessToken }).GET("/api/v1/auth/me")).data?.role).toBe("CUSTOMER");
  });

  it("runs the whole auth flow of API.md over HTTP", async () => {
    const shopper = await newCustomer();
    const me = await api({ token: shopper.token }).GET("/api/v1/auth/me");
    expect(me.data).toMatchObject({ email: shopper.email, role: "CUSTOMER" });
    const rotated = await api().POST("/api/v1/auth/refresh", { body: { refreshToken: shopper.refreshToken } });
    expect(rotated.response.status).toBe(200);
    expect((await api().POST("/api/v1/auth/refresh", { body: { refreshToken: shopper.refreshToken } })).response.status).toBe(401);
    expect((await api().POST("/api/v1/auth/logout", { body: { refreshToken: rotated.data!.refreshToken } })).response.status).toBe(204);
    expect((await api().POST("/api/v1/auth/refresh", { body: { refreshToken: rotated.data!.refreshToken } })).response.status).toBe(401);
    const forgot = await api().POST("/api/v1/auth/password/forgot", { body: { email: shopper.email } });
    expect(forgot.response.status).toBe(202);
  });

  it("creates exactly one account when 20 clients register the same email at once", async () => {
    const email = `race-${Date.now()}@e2e.test`;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => api().POST("/api/v1/auth/register", { body: { email, password: "e2e-password-1", name: "Race" } })),
    );
    const statuses = results.map((r) => r.response.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  });

  it("answers bad input with the documented envelope, never a 5xx", async () => {
    const malformed = await rawFetch("/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{oops" });
    const body = (await malformed.json()) as { error: { code: string; requestId: string } };
    expect(malformed.status).toBe(400);
    expect(body.error.code).toBe("VALIDATION_ERROR");
    expect(body.error.requestId).toBe(malformed.headers.get("x-request-id"));
    const missing = await rawFetch("/api/v1/nothing-here");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    const invalid = await api().POST("/api/v1/auth/register", { body: { email: "not-an-email", password: "short", name: "" } });
    expect(invalid.response.status).toBe(422);
    expect(invalid.error?.error.code).toBe("VALIDATION_ERROR");
  });
});

describe("emails through the real queues (black box)", () => {
  it("sends the password reset email shortly after it is asked for", async () => {
    const shopper = await newCustomer("reset");
    expect((await api().POST("/api/v1/auth/password/forgot", { body: { email: shopper.email } })).response.status).toBe(202);
    const admin = api({ token: (await login(SEED_ADMIN)).accessToken });
    const sent = await eventually(async () => {
      const page = await admin.GET("/api/v1/admin/emails", { params: { query: { status: "sent", limit: 100 } } });
      return page.data!.data.some((e) => e.template === "password_reset");
    }, 10_000);
    expect(sent).toBe(true);
  });
});
