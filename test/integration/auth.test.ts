import { env } from "cloudflare:test";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { call, createAdmin, expectErrorEnvelope, registerCustomer, uniqueEmail } from "../helpers";

const SECRET = new TextEncoder().encode(env.JWT_SECRET);

describe("POST /api/v1/auth/register", () => {
  it("creates a CUSTOMER and returns a token pair", async () => {
    const email = uniqueEmail();
    const res = await call("POST", "/api/v1/auth/register", { body: { email, password: "password123", name: "Ann" } });
    expect(res.status).toBe(201);
    expect(res.json.user).toMatchObject({ email, name: "Ann", role: "CUSTOMER" });
    expect(res.json.user.id).toMatch(/^usr_/);
    expect(res.json.accessToken.split(".")).toHaveLength(3);
    expect(res.json.refreshToken.length).toBeGreaterThan(20);
    expect(res.json.expiresIn).toBe(900);
  });

  it("ignores an attempt to register as ADMIN (unknown field → 422)", async () => {
    const res = await call("POST", "/api/v1/auth/register", {
      body: { email: uniqueEmail(), password: "password123", name: "Eve", role: "ADMIN" },
    });
    expect(res.status).toBe(422);
    expectErrorEnvelope(res, "VALIDATION_ERROR");
  });

  it("answers 409 CONFLICT for an email that exists, in any letter case", async () => {
    const { email } = await registerCustomer();
    const res = await call("POST", "/api/v1/auth/register", {
      body: { email: email.toUpperCase(), password: "password123", name: "Again" },
    });
    expect(res.status).toBe(409);
    expectErrorEnvelope(res, "CONFLICT");
  });

  it("answers 422 with issues for a short password and a bad email", async () => {
    const res = await call("POST", "/api/v1/auth/register", { body: { email: "nope", password: "short", name: "X" } });
    expect(res.status).toBe(422);
    const paths = res.json.error.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["email", "password"]));
  });
});

describe("POST /api/v1/auth/login", () => {
  it("signs in with the right password", async () => {
    const { email, password } = await registerCustomer();
    const res = await call("POST", "/api/v1/auth/login", { body: { email, password } });
    expect(res.status).toBe(200);
    expect(res.json.user.email).toBe(email);
  });

  it("gives the same 401 answer for an unknown email and a wrong password", async () => {
    const { email } = await registerCustomer();
    const wrong = await call("POST", "/api/v1/auth/login", { body: { email, password: "wrong-password" } });
    const unknown = await call("POST", "/api/v1/auth/login", { body: { email: uniqueEmail("ghost"), password: "wrong-password" } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.json.error.code).toBe("UNAUTHENTICATED");
    expect(unknown.json.error.message).toBe(wrong.json.error.message);
  });
});

describe("POST /api/v1/auth/refresh", () => {
  it("rotates: the new pair works and the old refresh token is dead", async () => {
    const session = await registerCustomer();
    const first = await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: session.refreshToken } });
    expect(first.status).toBe(200);
    expect(first.json.refreshToken).not.toBe(session.refreshToken);
    const me = await call("GET", "/api/v1/auth/me", { token: first.json.accessToken });
    expect(me.status).toBe(200);
    const again = await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: session.refreshToken } });
    expect(again.status).toBe(401);
  });

  it("revokes the whole family when a dead token is reused", async () => {
    const session = await registerCustomer();
    const rotated = await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: session.refreshToken } });
    // An attacker replays the stolen original…
    expect((await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: session.refreshToken } })).status).toBe(401);
    // …and the legitimate successor dies with it.
    const successor = await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: rotated.json.refreshToken } });
    expect(successor.status).toBe(401);
  });

  it("lets only one of two concurrent refreshes with the same token win", async () => {
    const session = await registerCustomer();
    const results = await Promise.all([
      call("POST", "/api/v1/auth/refresh", { body: { refreshToken: session.refreshToken } }),
      call("POST", "/api/v1/auth/refresh", { body: { refreshToken: session.refreshToken } }),
    ]);
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
  });
});

describe("POST /api/v1/auth/logout", () => {
  it("answers 204 and kills the refresh token", async () => {
    const session = await registerCustomer();
    const res = await call("POST", "/api/v1/auth/logout", { body: { refreshToken: session.refreshToken } });
    expect(res.status).toBe(204);
    const after = await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: session.refreshToken } });
    expect(after.status).toBe(401);
  });
});

describe("GET /api/v1/auth/me", () => {
  it("returns the signed-in user", async () => {
    const session = await registerCustomer();
    const res = await call("GET", "/api/v1/auth/me", { token: session.token });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: session.userId, email: session.email, name: "Test Customer", role: "CUSTOMER" });
  });

  it("answers 401 without a token", async () => {
    const res = await call("GET", "/api/v1/auth/me");
    expect(res.status).toBe(401);
    expectErrorEnvelope(res, "UNAUTHENTICATED");
  });

  const forged: Array<[string, () => Promise<string>]> = [
    ["an expired token", () => new SignJWT({ role: "CUSTOMER", typ: "access" }).setProtectedHeader({ alg: "HS256" }).setSubject("usr_x").setIssuer("edgeshop").setAudience("edgeshop:api").setIssuedAt(Math.floor(Date.now() / 1000) - 7200).setExpirationTime(Math.floor(Date.now() / 1000) - 3600).setJti("j").sign(SECRET)],
    ["a not-yet-valid token", () => new SignJWT({ role: "CUSTOMER", typ: "access" }).setProtectedHeader({ alg: "HS256" }).setSubject("usr_x").setIssuer("edgeshop").setAudience("edgeshop:api").setIssuedAt().setNotBefore("1h").setExpirationTime("2h").setJti("j").sign(SECRET)],
    ["a token signed with another key", () => new SignJWT({ role: "ADMIN", typ: "access" }).setProtectedHeader({ alg: "HS256" }).setSubject("usr_x").setIssuer("edgeshop").setAudience("edgeshop:api").setIssuedAt().setExpirationTime("1h").setJti("j").sign(new TextEncoder().encode("another-secret-0123456789abcdef0123456789"))],
    ["an alg:none token", async () => {
      const enc = (o: object) => btoa(JSON.stringify(o)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");
      return `${enc({ alg: "none", typ: "JWT" })}.${enc({ sub: "usr_x", role: "ADMIN", typ: "access", iss: "edgeshop", aud: "edgeshop:api", exp: 9999999999, iat: 1, jti: "j" })}.`;
    }],
    ["a token with a tampered payload", async () => {
      const session = await registerCustomer();
      const [h, , s] = session.token.split(".");
      const payload = btoa(JSON.stringify({ sub: session.userId, role: "ADMIN", typ: "access", iss: "edgeshop", aud: "edgeshop:api", exp: 9999999999, iat: 1, jti: "j" })).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");
      return `${h}.${payload}.${s}`;
    }],
    ["a refresh token used as an access token", async () => (await registerCustomer()).refreshToken],
    ["garbage", async () => "not-a-token"],
  ];
  for (const [name, make] of forged) {
    it(`answers 401 for ${name}`, async () => {
      const res = await call("GET", "/api/v1/auth/me", { token: await make() });
      expect(res.status).toBe(401);
      expectErrorEnvelope(res, "UNAUTHENTICATED");
    });
  }
});

describe("POST /api/v1/auth/password/forgot and /reset", () => {
  it("answers 202 for known and unknown emails alike, and queues the email only for a known one", async () => {
    const { email } = await registerCustomer();
    const known = await call("POST", "/api/v1/auth/password/forgot", { body: { email } });
    const unknown = await call("POST", "/api/v1/auth/password/forgot", { body: { email: uniqueEmail("ghost") } });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(known.json).toEqual(unknown.json);
    const rows = await env.DB.prepare("SELECT template, status FROM email_outbox WHERE to_address = ?").bind(email).all();
    expect(rows.results).toEqual([{ template: "password_reset", status: "pending" }]);
  });

  it("resets the password once with the emailed token and revokes old sessions", async () => {
    const session = await registerCustomer();
    await call("POST", "/api/v1/auth/password/forgot", { body: { email: session.email } });
    const row = await env.DB.prepare("SELECT payload FROM email_outbox WHERE to_address = ?").bind(session.email).first<{ payload: string }>();
    const token = JSON.parse(row!.payload).token as string;

    const reset = await call("POST", "/api/v1/auth/password/reset", { body: { token, password: "a-brand-new-password" } });
    expect(reset.status).toBe(204);
    expect((await call("POST", "/api/v1/auth/login", { body: { email: session.email, password: session.password } })).status).toBe(401);
    expect((await call("POST", "/api/v1/auth/login", { body: { email: session.email, password: "a-brand-new-password" } })).status).toBe(200);
    expect((await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: session.refreshToken } })).status).toBe(401);

    const replay = await call("POST", "/api/v1/auth/password/reset", { body: { token, password: "yet-another-password" } });
    expect(replay.status).toBe(400);
    expectErrorEnvelope(replay, "VALIDATION_ERROR");
  });
});

describe("Admin API keys", () => {
  it("shows the key once, authenticates admin routes within its scope only, and dies on revoke", async () => {
    const admin = await createAdmin();
    const created = await call("POST", "/api/v1/admin/api-keys", { token: admin.token, body: { name: "ci", scopes: ["api-keys:read"] } });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^esk_/);

    const list = await call("GET", "/api/v1/admin/api-keys", { apiKey: created.json.key });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.json)).not.toContain(created.json.key);

    const write = await call("POST", "/api/v1/admin/api-keys", { apiKey: created.json.key, body: { name: "x", scopes: ["api-keys:read"] } });
    expect(write.status).toBe(403);

    expect((await call("DELETE", `/api/v1/admin/api-keys/${created.json.id}`, { token: admin.token })).status).toBe(204);
    expect((await call("GET", "/api/v1/admin/api-keys", { apiKey: created.json.key })).status).toBe(401);
  });

  it("answers 403 to a customer and 401 to nobody", async () => {
    const customer = await registerCustomer();
    expect((await call("GET", "/api/v1/admin/api-keys", { token: customer.token })).status).toBe(403);
    expect((await call("GET", "/api/v1/admin/api-keys")).status).toBe(401);
  });

  it("does not let a key grant scopes it lacks", async () => {
    const admin = await createAdmin();
    const created = await call("POST", "/api/v1/admin/api-keys", { token: admin.token, body: { name: "minter", scopes: ["api-keys:write"] } });
    const escalate = await call("POST", "/api/v1/admin/api-keys", { apiKey: created.json.key, body: { name: "evil", scopes: ["catalog:write"] } });
    expect(escalate.status).toBe(403);
  });
});
