import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Lru } from "../../src/lib/lru";

describe("Lru", () => {
  it("returns what was stored until it expires", () => {
    const lru = new Lru<string>({ maxEntries: 10, maxBytes: 1000 });
    lru.set("a", "A", 1, 100);
    expect(lru.get("a", 99)).toBe("A");
    expect(lru.get("a", 100)).toBeUndefined();
    expect(lru.size).toBe(0);
  });

  it("evicts the least recently used entry when over the entry bound", () => {
    const lru = new Lru<number>({ maxEntries: 2, maxBytes: 1000 });
    lru.set("a", 1, 1, 1e9);
    lru.set("b", 2, 1, 1e9);
    lru.get("a", 0);
    lru.set("c", 3, 1, 1e9);
    expect(lru.get("b", 0)).toBeUndefined();
    expect(lru.get("a", 0)).toBe(1);
    expect(lru.get("c", 0)).toBe(3);
  });

  it("evicts until the byte bound holds and refuses a value bigger than the bound", () => {
    const lru = new Lru<string>({ maxEntries: 100, maxBytes: 10 });
    lru.set("a", "a", 6, 1e9);
    lru.set("b", "b", 6, 1e9);
    expect(lru.get("a", 0)).toBeUndefined();
    expect(lru.bytes).toBe(6);
    expect(lru.set("huge", "x", 11, 1e9)).toBe(false);
    expect(lru.get("b", 0)).toBe("b");
  });

  it("replacing a key does not count its old bytes twice", () => {
    const lru = new Lru<string>({ maxEntries: 10, maxBytes: 10 });
    lru.set("a", "1", 8, 1e9);
    lru.set("a", "2", 8, 1e9);
    expect(lru.bytes).toBe(8);
    expect(lru.get("a", 0)).toBe("2");
  });

  it("never exceeds its bounds under any sequence of operations", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("set", "get", "delete"), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 40 }))),
        (ops) => {
          const lru = new Lru<number>({ maxEntries: 5, maxBytes: 100 });
          for (const [op, key, bytes] of ops) {
            if (op === "set") lru.set(String(key), key, bytes, 1e9);
            else if (op === "get") lru.get(String(key), 0);
            else lru.delete(String(key));
            expect(lru.size).toBeLessThanOrEqual(5);
            expect(lru.bytes).toBeLessThanOrEqual(100);
            expect(lru.bytes).toBeGreaterThanOrEqual(0);
          }
        },
      ),
    );
  });
});
