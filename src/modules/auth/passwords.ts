/**
 * Password hashing with WebCrypto PBKDF2-SHA256: 100,000 iterations (the most Workers allow),
 * a random 16-byte salt per user, and a constant-time comparison. Stored as
 * `pbkdf2_sha256$<iterations>$<salt b64url>$<hash b64url>` so the cost can rise later.
 */
import { fromBase64Url, timingSafeEqual, toBase64Url } from "../../lib/crypto";

const ITERATIONS = 100_000;
const KEY_BITS = 256;
const encoder = new TextEncoder();

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, KEY_BITS);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, ITERATIONS);
  return `pbkdf2_sha256$${ITERATIONS}$${toBase64Url(salt)}$${toBase64Url(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iterationsText, saltText, hashText] = stored.split("$");
  const iterations = Number(iterationsText);
  if (scheme !== "pbkdf2_sha256" || !saltText || !hashText || !Number.isInteger(iterations)) return false;
  const actual = await derive(password, fromBase64Url(saltText), iterations);
  return timingSafeEqual(actual, fromBase64Url(hashText));
}

let dummyHash: string | undefined;

/**
 * A hash to verify against when the email is unknown, so an unknown email costs the same
 * PBKDF2 work as a wrong password and timing does not reveal which accounts exist. Cached as a
 * value, never as a promise: a promise shared between requests is unsafe in workerd.
 */
export async function getDummyHash(): Promise<string> {
  dummyHash ??= await hashPassword("edgeshop-timing-equalizer");
  return dummyHash;
}
