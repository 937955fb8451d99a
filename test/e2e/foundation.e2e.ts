import { describe, expect, it } from "vitest";
import { http, login, newCustomer, SEED_ADMIN, SEED_CUSTOMER } from "./client";

describe("the dev server (black box)", () => {
  it("answers /healthz, /openapi.json and /docs", async () => {
    expect((await http("GET", "/healthz")).json).toEqual({ status: "ok" });
    const doc = await http("GET", "/openapi.json");
    expect(doc.json.openapi).toBe("3.1.0");
    const docs = await http("GET", "/docs");
    expect(docs.status).toBe(200);
  });

  it("signs in the seeded admin and customer with the documented dev credentials", async () => {
    const admin = await login(SEED_ADMIN);
    const customer = await login(SEED_CUSTOMER);
    expect((await http("GET", "/api/v1/auth/me", { token: admin.accessToken })).json.role).toBe("ADMIN");
    expect((await http("GET", "/api/v1/auth/me", { token: customer.accessToken })).json.role).toBe("CUSTOMER");
  });

  it("runs the whole auth flow of API.md over HTTP", async () => {
    const shopper = await newCustomer();
    const me = await http("GET", "/api/v1/auth/me", { token: shopper.token });
    expect(me.json).toMatchObject({ email: shopper.email, role: "CUSTOMER" });
    const rotated = await http("POST", "/api/v1/auth/refresh", { body: { refreshToken: shopper.refreshToken } });
    expect(rotated.status).toBe(200);
    expect((await http("POST", "/api/v1/auth/refresh", { body: { refreshToken: shopper.refreshToken } })).status).toBe(401);
    expect((await http("POST", "/api/v1/auth/logout", { body: { refreshToken: rotated.json.refreshToken } })).status).toBe(204);
    expect((await http("POST", "/api/v1/auth/refresh", { body: { refreshToken: rotated.json.refreshToken } })).status).toBe(401);
    const forgot = await http("POST", "/api/v1/auth/password/forgot", { body: { email: shopper.email } });
    expect(forgot.status).toBe(202);
  });

  it("creates exactly one account when 20 clients register the same email at once", async () => {
    const email = `race-${Date.now()}@e2e.test`;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => http("POST", "/api/v1/auth/register", { body: { email, password: "e2e-password-1", name: "Race" } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  });

  it("answers bad input with the documented envelope, never a 5xx", async () => {
    const malformed = await http("POST", "/api/v1/auth/login", { body: "{oops" });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe("VALIDATION_ERROR");
    expect(malformed.json.error.requestId).toBe(malformed.headers.get("x-request-id"));
    const missing = await http("GET", "/api/v1/nothing-here");
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("NOT_FOUND");
  });
});

describe("emails through the real queues (black box)", () => {
  it("sends the password reset email shortly after it is asked for", async () => {
    const shopper = await newCustomer("reset");
    expect((await http("POST", "/api/v1/auth/password/forgot", { body: { email: shopper.email } })).status).toBe(202);
    const admin = await login(SEED_ADMIN);
    let sent = false;
    for (let i = 0; i < 40 && !sent; i++) {
      const page = await http("GET", "/api/v1/admin/emails?status=sent&limit=100", { token: admin.accessToken });
      sent = page.json.data.some((e: { template: string; requestId: string | null }) => e.template === "password_reset");
      if (!sent) await new Promise((r) => setTimeout(r, 250));
    }
    expect(sent).toBe(true);
  });
});
