/**
 * Access tokens: short-lived HS256 JWTs (`sub`, `role`, `exp`, `iat`, `jti`). Verification pins
 * the algorithm, issuer, audience and token type, so `alg: none`, other algorithms, other keys
 * and refresh tokens presented as access tokens are all rejected.
 */
import { jwtVerify, SignJWT } from "jose";
import type { Role } from "./schemas";

const ISSUER = "edgeshop";
const AUDIENCE = "edgeshop:api";
const TOKEN_TYPE = "access";
const encoder = new TextEncoder();

const keyCache = new Map<string, Uint8Array>();
function keyFor(secret: string): Uint8Array {
  let key = keyCache.get(secret);
  if (!key) {
    key = encoder.encode(secret);
    keyCache.set(secret, key);
  }
  return key;
}

export type AccessClaims = { userId: string; role: Role; tokenId: string };

export async function signAccessToken(
  secret: string,
  claims: { userId: string; role: Role },
  ttlSeconds: number,
): Promise<string> {
  return new SignJWT({ role: claims.role, typ: TOKEN_TYPE })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .setJti(crypto.randomUUID())
    .sign(keyFor(secret));
}

/** Returns the claims of a valid access token, or null for anything else. */
export async function verifyAccessToken(secret: string, token: string): Promise<AccessClaims | null> {
  try {
    const { payload } = await jwtVerify(token, keyFor(secret), {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ["sub", "exp", "iat", "jti"],
    });
    if (payload.typ !== TOKEN_TYPE) return null;
    if (payload.role !== "ADMIN" && payload.role !== "CUSTOMER") return null;
    return { userId: payload.sub!, role: payload.role, tokenId: payload.jti! };
  } catch {
    return null;
  }
}
