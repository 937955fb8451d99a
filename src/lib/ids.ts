/**
 * Prefixed, time-sortable ids (`prod_01JD…`): 48 bits of milliseconds and 80 random bits in
 * Crockford base32, the ULID layout, so ids sort by creation time and make good cursors.
 */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export type IdPrefix =
  | "usr" | "rt" | "key" | "pwr" | "cat" | "col" | "prod" | "var" | "bset" | "adj" | "cgrp"
  | "pl" | "disc" | "red" | "cart" | "item" | "chk" | "pay" | "ord" | "oli" | "oev" | "rev"
  | "eml" | "fam" | "rfd" | "dlt" | "whe" | "evt" | "whd" | "adr" | "shm" | "txr"
  | "ret" | "rtl" | "gft" | "scr" | "brf";

function encodeTime(ms: number): string {
  let out = "";
  let value = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

function encodeRandom(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte & 31];
  return out;
}

export function newId(prefix: IdPrefix, now = Date.now()): string {
  return `${prefix}_${encodeTime(now)}${encodeRandom()}`;
}
