/**
 * Stripe-style webhook signatures: header `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
 * Pure apart from WebCrypto, so the tolerance and parsing are unit-tested.
 */
import { hmacSha256Hex, timingSafeEqualStrings } from "../../lib/crypto";

export const TOLERANCE_SECONDS = 300;

export function parseSignatureHeader(header: string): { timestamp: number; signatures: string[] } | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const [k, v] = part.trim().split("=", 2);
    if (k === "t" && v && /^\d{1,12}$/.test(v)) timestamp = Number(v);
    if (k === "v1" && v && /^[0-9a-f]{64}$/.test(v)) signatures.push(v);
  }
  return timestamp == null || signatures.length === 0 ? null : { timestamp, signatures };
}

export async function signPayload(secret: string, timestamp: number, body: string): Promise<string> {
  return hmacSha256Hex(secret, `${timestamp}.${body}`);
}

/** "ok", or why the request is refused: a bad header or signature, or a timestamp outside the window. */
export async function verifySignature(secret: string, header: string | undefined, body: string, nowMs: number): Promise<"ok" | "malformed" | "mismatch" | "stale"> {
  const parsed = header ? parseSignatureHeader(header) : null;
  if (!parsed) return "malformed";
  const expected = await signPayload(secret, parsed.timestamp, body);
  if (!parsed.signatures.some((s) => timingSafeEqualStrings(s, expected))) return "mismatch";
  return Math.abs(nowMs / 1000 - parsed.timestamp) > TOLERANCE_SECONDS ? "stale" : "ok";
}
