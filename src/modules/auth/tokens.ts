/**
 * Access tokens: short-lived HS256 JWTs (`sub`, `role`, `exp`, `iat`, `jti`). Verification pins
 * the algorithm, issuer, audience and token type, so `alg: none`, other algorithms, other keys
 * and refresh tokens presented as access tokens are all rejected.
 */
import { jwtVerify, SignJWT } from "jose";
import { Lru } from "../../lib/lru";
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

/**
 * Tokens this isolate has already verified, until their `exp`. A shopper sends the same token on
 * every request of a session, and each request checked it twice (the limiter's user key, then the
 * route's auth): an HMAC key import and a verify each time. The key is the secret and the whole
 * token, signature included, so only the exact string that verified can hit; the entry ends when
 * the token does (jose's own `exp` rule: expired once now ≥ exp), and nothing here is revocable
 * per token anyway (access tokens are stateless). Failures are never cached. Bounded.
 */
const verified = new Lru<AccessClaims>({ maxEntries: 5_000, maxBytes: 2_000_000 });

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
  const cacheKey = `${secret}\u0000${token}`;
  const known = verified.get(cacheKey, Date.now());
  if (known) return known;
  try {
    const { payload } = await jwtVerify(token, keyFor(secret), {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ["sub", "exp", "iat", "jti"],
    });
    if (payload.typ !== TOKEN_TYPE) return null;
    if (payload.role !== "ADMIN" && payload.role !== "CUSTOMER") return null;
    const claims: AccessClaims = { userId: payload.sub!, role: payload.role, tokenId: payload.jti! };
    verified.set(cacheKey, claims, token.length + 128, payload.exp! * 1000);
    return claims;
  } catch {
    return null;
  }
}
