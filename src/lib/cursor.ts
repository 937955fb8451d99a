/** Opaque keyset cursors: base64url JSON of the last row's sort key, validated on the way back in. */
import type { z } from "zod";
import { AppError } from "./errors";

export function encodeCursor(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Decodes a cursor or answers 400 VALIDATION_ERROR: a tampered cursor is bad input, not a fault. */
export function decodeCursor<T extends z.ZodType>(cursor: string | undefined, schema: T): z.infer<T> | null {
  if (!cursor) return null;
  try {
    const base64 = cursor.replaceAll("-", "+").replaceAll("_", "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    const json = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const parsed = schema.safeParse(JSON.parse(json));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through to the validation error
  }
  throw new AppError("VALIDATION_ERROR", "Invalid cursor", 400, { issues: [{ path: "cursor", message: "Invalid cursor" }] });
}
