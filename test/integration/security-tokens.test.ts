/**
 * Token forgeries beyond test/integration/auth.test.ts (expired, not-yet-valid, tampered,
 * alg:none, wrong key, refresh-as-access live there): other algorithms, embedded keys and claims
 * that a valid signature must not excuse. Every one answers 401 UNAUTHENTICATED.
 */
import { env } from "cloudflare:test";
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { describe, expect, it } from "vitest";
import { call, createAdmin, expectErrorEnvelope, registerCustomer } from "../helpers";

const SECRET = new TextEncoder().encode(env.JWT_SECRET);
const claims = (extra: JWTPayload = {}): JWTPayload => ({ role: "ADMIN", typ: "access", ...extra });

function token(payload: JWTPayload, options: { iss?: string | null; aud?: string | null; jti?: string | null } = {}) {
  const jwt = new SignJWT(payload).setSubject("usr_forged").setIssuedAt().setExpirationTime("1h");
  if (options.iss !== null) jwt.setIssuer(options.iss ?? "edgeshop");
  if (options.aud !== null) jwt.setAudience(options.aud ?? "edgeshop:api");
  if (options.jti !== null) jwt.setJti(options.jti ?? "jti-1");
  return jwt;
}

const forgeries: Array<[string, () => Promise<string>]> = [
  ["HS512 with the server's own secret", () => token(claims()).setProtectedHeader({ alg: "HS512" }).sign(SECRET)],
  ["HS384 with the server's own secret", () => token(claims()).setProtectedHeader({ alg: "HS384" }).sign(SECRET)],
  ["RS256 with an attacker's key", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    return token(claims()).setProtectedHeader({ alg: "RS256" }).sign(privateKey);
  }],
  ["ES256 carrying its own public key in the header (embedded jwk)", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    return token(claims()).setProtectedHeader({ alg: "ES256", jwk: await exportJWK(publicKey) }).sign(privateKey);
  }],
  ["another issuer", () => token(claims(), { iss: "someone-else" }).setProtectedHeader({ alg: "HS256" }).sign(SECRET)],
  ["another audience", () => token(claims(), { aud: "other-api" }).setProtectedHeader({ alg: "HS256" }).sign(SECRET)],
  ["no jti", () => token(claims(), { jti: null }).setProtectedHeader({ alg: "HS256" }).sign(SECRET)],
  ["a token type other than access", () => token(claims({ typ: "refresh" })).setProtectedHeader({ alg: "HS256" }).sign(SECRET)],
  ["a role outside ADMIN and CUSTOMER", () => token(claims({ role: "ROOT" })).setProtectedHeader({ alg: "HS256" }).sign(SECRET)],
];

describe("forged access tokens", () => {
  for (const [name, make] of forgeries) {
    it(`answers 401 on a customer route and an admin route for ${name}`, async () => {
      const forged = await make();
      for (const path of ["/api/v1/auth/me", "/api/v1/admin/api-keys"]) {
        const res = await call("GET", path, { token: forged });
        expect(res.status, path).toBe(401);
        expectErrorEnvelope(res, "UNAUTHENTICATED");
      }
    });
  }

  it("answers 401 for a malformed Authorization header, even next to a valid API key", async () => {
    const admin = await createAdmin();
    const key = (await call("POST", "/api/v1/admin/api-keys", { token: admin.token, body: { name: "k", scopes: ["api-keys:read"] } })).json.key;
    const res = await call("GET", "/api/v1/admin/api-keys", { apiKey: key, headers: { Authorization: "Basic YWRtaW46YWRtaW4=" } });
    expect(res.status).toBe(401);
  });
});

describe("POST /api/v1/auth/logout", () => {
  it("ends only the session it is given: the same user's other session keeps refreshing", async () => {
    const first = await registerCustomer();
    const second = await call("POST", "/api/v1/auth/login", { body: { email: first.email, password: first.password } });
    expect((await call("POST", "/api/v1/auth/logout", { body: { refreshToken: first.refreshToken } })).status).toBe(204);
    expect((await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: first.refreshToken } })).status).toBe(401);
    expect((await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: second.json.refreshToken } })).status).toBe(200);
  });

  it("kills the successor tokens of a rotated session too", async () => {
    const session = await registerCustomer();
    const rotated = await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: session.refreshToken } });
    expect((await call("POST", "/api/v1/auth/logout", { body: { refreshToken: rotated.json.refreshToken } })).status).toBe(204);
    expect((await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: rotated.json.refreshToken } })).status).toBe(401);
  });
});
