/**
 * SSRF guard for webhook URLs. In production only `https://` to a public host: no loopback,
 * private, link-local, carrier-grade NAT, metadata, multicast or reserved addresses (IPv4, IPv6,
 * and IPv4 inside IPv6), no internal names (`localhost`, `*.internal`, single labels), no
 * credentials in the URL. Numeric IPv4 tricks (`2130706433`, `0x7f.1`, `0177.0.0.1`) are caught
 * because the WHATWG URL parser turns them into dotted form before the checks. Development may
 * allow `http://localhost` (and 127.0.0.0/8, ::1) — loopback only, never other private ranges.
 * Redirects are never followed (the sender uses `redirect: "manual"`), so a public URL cannot
 * bounce a delivery inward; names are not resolved here (see docs/webhooks.md).
 */
export type UrlPolicy = { allowLocalhost: boolean };
export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2048;

const BLOCKED_V4: [number, number][] = [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16],
  ["172.16.0.0", 12], ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.88.99.0", 24], ["192.168.0.0", 16],
  ["198.18.0.0", 15], ["198.51.100.0", 24], ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4],
].map(([base, bits]) => [parseIPv4(base as string)!, bits as number]);

/** Names that never mean a public host (RFC 6761/6762/8375 and common internal suffixes). */
const INTERNAL_SUFFIXES = ["localhost", "local", "internal", "localdomain", "home.arpa", "lan", "intranet", "corp", "test", "invalid", "onion"];

function parseIPv4(host: string): number | null {
  const parts = host.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function inBlockedV4(ip: number): boolean {
  return BLOCKED_V4.some(([base, bits]) => Math.floor(ip / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
}

/** "2001:db8::1" → eight 16-bit groups (an embedded dotted IPv4 tail is allowed); null if malformed. */
export function parseIPv6(host: string): number[] | null {
  let text = host.toLowerCase();
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted) {
    const v4 = parseIPv4(dotted[1]!);
    if (v4 === null) return null;
    text = `${text.slice(0, -dotted[1]!.length)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return all.map((g) => parseInt(g, 16));
}

const v4Of = (hi: number, lo: number) => hi * 65536 + lo;

function isLoopbackV6(g: number[]): boolean {
  return g.slice(0, 7).every((x) => x === 0) && g[7] === 1;
}

function inBlockedV6(g: number[]): boolean {
  const [a, b] = g as [number, number];
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(5) && (g[5] === 0 || g[5] === 0xffff)) return true; // ::/96 (loopback, unspecified, IPv4-compatible), ::ffff:0:0/96 (IPv4-mapped)
  if (a === 0x64 && b === 0xff9b) return g.slice(2, 6).every((x) => x === 0) ? inBlockedV4(v4Of(g[6]!, g[7]!)) : true; // NAT64
  if (a === 0x2002) return inBlockedV4(v4Of(g[1]!, g[2]!)); // 6to4
  if (a === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return true; // discard-only 100::/64
  if (a === 0x2001 && (b < 0x0200 || b === 0x0db8)) return true; // Teredo, ORCHID, documentation
  if ((a & 0xfe00) === 0xfc00) return true; // unique local fc00::/7 (incl. fd00:ec2::254, AWS metadata)
  if ((a & 0xffc0) === 0xfe80 || (a & 0xffc0) === 0xfec0) return true; // link-local, site-local
  if ((a & 0xff00) === 0xff00) return true; // multicast
  return false;
}

function isInternalName(host: string): boolean {
  if (!host.includes(".")) return true; // single labels resolve through local search domains
  return INTERNAL_SUFFIXES.some((suffix) => host === suffix || host.endsWith(`.${suffix}`));
}

function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const v4 = parseIPv4(host);
  if (v4 !== null) return Math.floor(v4 / 2 ** 24) === 127;
  const v6 = host.startsWith("[") ? parseIPv6(host.slice(1, -1)) : null;
  return v6 !== null && isLoopbackV6(v6);
}

/** Whether deliveries may go to `raw`; the reason is safe to show to the admin who entered it. */
export function checkWebhookUrl(raw: string, policy: UrlPolicy): UrlVerdict {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: "URL is too long" };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "not an absolute URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "only https URLs are allowed" };
  if (url.username || url.password) return { ok: false, reason: "credentials in the URL are not allowed" };
  const host = url.hostname.replace(/\.+$/, "");
  if (!host) return { ok: false, reason: "URL has no host" };
  if (policy.allowLocalhost && isLoopbackHost(host)) return { ok: true, url };
  if (url.protocol !== "https:") return { ok: false, reason: "only https URLs are allowed" };
  if (host.startsWith("[")) {
    const groups = parseIPv6(host.slice(1, -1));
    if (!groups || inBlockedV6(groups)) return { ok: false, reason: "the host is not a public address" };
    return { ok: true, url };
  }
  const v4 = parseIPv4(host);
  if (v4 !== null) return inBlockedV4(v4) ? { ok: false, reason: "the host is not a public address" } : { ok: true, url };
  if (/^[\d.]+$/.test(host) || /^0x/i.test(host)) return { ok: false, reason: "the host is not a public address" };
  if (isInternalName(host)) return { ok: false, reason: "the host is not a public name" };
  return { ok: true, url };
}
