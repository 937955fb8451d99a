/**
 * Invariant (issue 11, item 8): a client is limited per IPv4 address or per IPv6 /64, whatever
 * text form its address arrives in — so a host cannot get a fresh window by moving inside its /64
 * or by writing the same address differently.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addressBucket } from "../../src/modules/rate-limit/client-ip";

const hextet = fc.integer({ min: 0, max: 0xffff });
const groups8 = fc.array(hextet, { minLength: 8, maxLength: 8 });
/** An address with many zero groups, so "::" forms are exercised often. */
const sparseGroups = fc.array(fc.oneof(fc.constant(0), hextet), { minLength: 8, maxLength: 8 });

/** One of the many legal spellings of the same IPv6 address (RFC 4291 §2.2). */
const spelling = (groups: number[]) =>
  fc
    .record({
      pad: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
      upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      compress: fc.nat(),
    })
    .map(({ pad, upper, compress }) => {
      const texts = groups.map((g, i) => {
        const hex = g.toString(16);
        const padded = "0".repeat(Math.max(0, Math.min(4, hex.length + pad[i]!) - hex.length)) + hex;
        return upper[i] ? padded.toUpperCase() : padded;
      });
      // Every run of zero groups may be written as "::" (at most one per address).
      const runs: [number, number][] = [];
      for (let i = 0; i < 8; i++) {
        if (groups[i] !== 0) continue;
        let j = i;
        while (j < 8 && groups[j] === 0) j++;
        for (let a = i; a < j; a++) for (let b = a + 1; b <= j; b++) runs.push([a, b]);
        i = j;
      }
      if (runs.length === 0 || compress % (runs.length + 1) === runs.length) return texts.join(":");
      const [from, to] = runs[compress % (runs.length + 1)]!;
      return `${texts.slice(0, from).join(":")}::${texts.slice(to).join(":")}`;
    });


describe("item 8: addressBucket keys IPv6 clients by their /64", () => {
  it("gives any two addresses of the same /64 the same key, however they are written", () => {
    const sameSlash64 = fc.tuple(sparseGroups, sparseGroups).chain(([a, b]) => {
      const prefix = a.slice(0, 4);
      if (!prefix.some((g) => g !== 0)) prefix[0] = 0x2001; // ::ffff:0:0/96 is IPv4, tested below
      return fc.tuple(spelling([...prefix, ...a.slice(4)]), spelling([...prefix, ...b.slice(4)]));
    });
    fc.assert(
      fc.property(sameSlash64, ([a, b]) => {
        const key = addressBucket(a);
        expect(key, a).not.toBeNull();
        expect(addressBucket(b), `${a} vs ${b}`).toBe(key);
      }),
      { numRuns: 1000 },
    );
  });

  it("gives addresses of different /64s different keys", () => {
    fc.assert(
      fc.property(groups8, groups8, (a, b) => {
        fc.pre(a.slice(0, 4).join() !== b.slice(0, 4).join());
        fc.pre(a[0] !== 0 && b[0] !== 0); // ::ffff:a.b.c.d is IPv4; tested below
        const [ka, kb] = [addressBucket(a.map((g) => g.toString(16)).join(":")), addressBucket(b.map((g) => g.toString(16)).join(":"))];
        expect(ka).not.toBeNull();
        expect(ka).not.toBe(kb);
      }),
      { numRuns: 500 },
    );
  });

  it("keys an IPv4 address by itself, and an IPv4-mapped IPv6 address as that IPv4 address", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(fc.array(octet, { minLength: 4, maxLength: 4 }), fc.array(octet, { minLength: 4, maxLength: 4 }), (v4, other) => {
        const dotted = v4.join(".");
        const high = ((v4[0]! << 8) | v4[1]!).toString(16);
        const low = ((v4[2]! << 8) | v4[3]!).toString(16);
        expect(addressBucket(dotted)).toBe(dotted);
        for (const mapped of [`::ffff:${dotted}`, `::FFFF:${dotted}`, `0:0:0:0:0:ffff:${dotted}`, `::ffff:${high}:${low}`, `0000::FFFF:${high.toUpperCase()}:${low}`]) {
          expect(addressBucket(mapped)).toBe(dotted);
        }
        if (other.join(".") !== dotted) expect(addressBucket(other.join("."))).not.toBe(dotted);
      }),
    );
  });

  it("examples: the documented forms", () => {
    expect(addressBucket("2001:db8:0:1::1")).toBe("2001:db8:0:1::/64");
    expect(addressBucket("2001:DB8:0:1:ffff:ffff:ffff:ffff")).toBe("2001:db8:0:1::/64");
    expect(addressBucket("2001:0db8:0000:0001:0000:0000:0000:0001")).toBe("2001:db8:0:1::/64");
    expect(addressBucket("2001:db8:0:2::1")).toBe("2001:db8:0:2::/64");
    expect(addressBucket("::ffff:198.51.100.7")).toBe("198.51.100.7");
    expect(addressBucket(" 203.0.113.9 ")).toBe("203.0.113.9");
  });

  it("answers null for anything that is not an address, so it falls back to the shared key", () => {
    for (const junk of ["", "unknown", "1.2.3", "256.0.0.1", "1.2.3.4.5", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "fe80::1%eth0", ":1::", "g::1", "1:2:3:4:5:6:7:1.2.3.4", "x".repeat(100)]) {
      expect(addressBucket(junk), junk).toBeNull();
    }
    expect(addressBucket(undefined)).toBeNull();
  });
});
