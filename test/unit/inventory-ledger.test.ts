import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allowedOnHand, available, decideClose, decideCommit, decideReserve, type Hold, type Level } from "../../src/modules/inventory/ledger";

describe("inventory ledger decisions", () => {
  it("reserves only what is available, extends a hold of the same quantity, and moves a hold to a new quantity", () => {
    const level = { onHand: 5, reserved: 4, version: 1 };
    expect(decideReserve(level, null, 1)).toEqual({ kind: "hold", delta: 1 });
    expect(decideReserve(level, null, 2)).toEqual({ kind: "insufficient" });
    expect(decideReserve(level, { qty: 4, status: "held" }, 4)).toEqual({ kind: "extend" });
    expect(decideReserve(level, { qty: 4, status: "held" }, 5)).toEqual({ kind: "hold", delta: 1 });
    expect(decideReserve(level, { qty: 4, status: "held" }, 6)).toEqual({ kind: "insufficient" });
    expect(decideReserve(level, { qty: 4, status: "held" }, 2)).toEqual({ kind: "hold", delta: -2 });
    expect(decideReserve(level, { qty: 4, status: "released" }, 1)).toEqual({ kind: "hold", delta: 1 });
    expect(decideReserve(level, { qty: 4, status: "closed" }, 1)).toEqual({ kind: "insufficient" });
  });

  it("commits exactly the ordered quantity: the hold covers what it holds, free stock the rest", () => {
    const level = { onHand: 2, reserved: 2, version: 1 };
    expect(decideCommit(level, { qty: 1, status: "held" }, 1)).toEqual({ kind: "sell", onHandDelta: -1, reservedDelta: -1, sold: 1 });
    expect(decideCommit(level, { qty: 1, status: "committed" }, 1)).toEqual({ kind: "noop" });
    expect(decideCommit(level, { qty: 1, status: "released" }, 1)).toEqual({ kind: "insufficient" });
    expect(decideCommit({ ...level, reserved: 0 }, { qty: 1, status: "released" }, 1)).toEqual({ kind: "sell", onHandDelta: -1, reservedDelta: 0, sold: 1 });
    expect(decideCommit({ onHand: 10, reserved: 2, version: 1 }, { qty: 2, status: "held" }, 5)).toEqual({ kind: "sell", onHandDelta: -5, reservedDelta: -2, sold: 5 });
    expect(decideCommit(level, { qty: 1, status: "closed" }, 1)).toEqual({ kind: "closed" });
  });

  it("never lets on-hand go below what is reserved", () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), fc.integer({ min: -10, max: 2000 }), (onHand, reserved, target) => {
        const ok = allowedOnHand({ onHand, reserved, version: 0 }, target);
        expect(ok).toBe(target >= reserved && target >= 0);
        expect(available({ onHand, reserved, version: 0 })).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it("over any sequence of reserve/commit/release/close/restock: reserved is the sum of live holds, sold units are on orders, nothing goes negative", () => {
    type Op = { kind: "reserve" | "commit" | "release" | "close" | "restock"; checkout: number; qty: number };
    const op = fc.record({ kind: fc.constantFrom("reserve", "commit", "release", "close", "restock"), checkout: fc.nat(4), qty: fc.integer({ min: 1, max: 6 }) }) as fc.Arbitrary<Op>;
    fc.assert(
      fc.property(fc.nat(20), fc.array(op, { maxLength: 40 }), (initial, ops) => {
        let level: Level = { onHand: initial, reserved: 0, version: 0 };
        const holds = new Map<number, Hold>();
        let soldOut = 0;
        let returned = 0;
        for (const { kind, checkout, qty } of ops) {
          const hold = holds.get(checkout) ?? null;
          if (kind === "reserve") {
            const d = decideReserve(level, hold, qty);
            if (d.kind === "hold") {
              level = { ...level, reserved: level.reserved + d.delta };
              holds.set(checkout, { qty, status: "held" });
            }
          } else if (kind === "commit") {
            const d = decideCommit(level, hold, qty);
            if (d.kind === "sell") {
              level = { ...level, onHand: level.onHand + d.onHandDelta, reserved: level.reserved + d.reservedDelta };
              holds.set(checkout, { qty: d.sold, status: "committed" });
              soldOut += d.sold;
            }
          } else if (kind === "release" && hold?.status === "held") {
            level = { ...level, reserved: level.reserved - hold.qty };
            holds.set(checkout, { ...hold, status: "released" });
          } else if (kind === "restock" && hold?.status === "committed") {
            level = { ...level, onHand: level.onHand + hold.qty };
            holds.set(checkout, { ...hold, status: "returned" });
            returned += hold.qty;
          } else if (kind === "close") {
            const d = decideClose(hold);
            if (d) {
              level = { ...level, onHand: level.onHand + d.onHandDelta, reserved: level.reserved + d.reservedDelta };
              returned += d.onHandDelta;
              holds.set(checkout, { qty: hold?.qty ?? 0, status: "closed" });
            }
          }
          const live = [...holds.values()].filter((h) => h.status === "held").reduce((sum, h) => sum + h.qty, 0);
          expect(level.reserved).toBe(live);
          expect(level.onHand).toBe(initial - soldOut + returned);
          expect(level.onHand).toBeGreaterThanOrEqual(level.reserved);
        }
      }),
    );
  });
});
