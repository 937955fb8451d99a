/**
 * Which bucket a client address is limited in. An IPv4 address is one bucket; an IPv6 address is
 * bucketed by its /64, because one customer site or host is routinely given a whole /64 and can
 * pick a fresh address from it for every request (privacy extensions, or on purpose to dodge a
 * per-address limit). IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is the IPv4 address it carries.
 * Pure string work, no platform API: the same text always gives the same bucket.
 */

const MAX_ADDRESS_LENGTH = 64;

function parseIPv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const octets = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return octets.every((o) => o <= 255) ? octets : null;
}

/** The eight 16-bit groups of an IPv6 address in any RFC 4291 text form, or null. */
function parseIPv6(text: string): number[] | null {
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(":");
  if (body.includes(".")) {
    // An embedded IPv4 address takes the place of the last two groups.
    const v4 = parseIPv4(body.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    body = body.slice(0, lastColon + 1);
    if (body.endsWith(":") && !body.endsWith("::")) body = body.slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groupsOf(halves[0]!);
  const rest = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (![...head, ...rest].every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return null;
  const explicit = [...head, ...rest].map((g) => parseInt(g, 16));
  const given = explicit.length + tail.length;
  if (halves.length === 1) return given === 8 ? [...explicit, ...tail] : null;
  if (given > 7) return null; // "::" stands for at least one zero group
  const zeros = new Array<number>(8 - given).fill(0);
  return [...head.map((g) => parseInt(g, 16)), ...zeros, ...rest.map((g) => parseInt(g, 16)), ...tail];
}

const isIPv4Mapped = (g: number[]) => g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;

/**
 * The rate-limit bucket of a client address: `"203.0.113.7"` for IPv4 (and IPv4-mapped IPv6),
 * `"2001:db8:0:1::/64"` for IPv6, or null when the text is not an IP address.
 */
export function addressBucket(address: string | null | undefined): string | null {
  const text = address?.trim();
  if (!text || text.length > MAX_ADDRESS_LENGTH) return null;
  if (!text.includes(":")) return parseIPv4(text)?.join(".") ?? null;
  const groups = parseIPv6(text);
  if (!groups) return null;
  if (isIPv4Mapped(groups)) return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join(".");
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}
