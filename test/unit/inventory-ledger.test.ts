import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allowedOnHand, available, decideCommit, decideReserve } from "../../src/modules/inventory/ledger";

describe("inventory ledger decisions", () => {
  it("reserves only what is available, and answers a known hold again without taking more", () => {
    const level = { onHand: 5, reserved: 4, version: 1 };
    expect(decideReserve(level, null, 1)).toBe("take");
    expect(decideReserve(level, null, 2)).toBe("insufficient");
    expect(decideReserve(level, { qty: 4, status: "held" }, 4)).toBe("noop");
    expect(decideReserve(level, { qty: 4, status: "released" }, 1)).toBe("take");
  });

  it("commits a held unit, re-sells a lapsed hold only from free stock, and is idempotent", () => {
    const level = { onHand: 2, reserved: 2, version: 1 };
    expect(decideCommit(level, { qty: 1, status: "held" }, 1)).toBe("sell-held");
    expect(decideCommit(level, { qty: 1, status: "committed" }, 1)).toBe("noop");
    expect(decideCommit(level, { qty: 1, status: "released" }, 1)).toBe("insufficient");
    expect(decideCommit({ ...level, reserved: 0 }, { qty: 1, status: "released" }, 1)).toBe("sell-free");
    expect(decideCommit(level, null, null)).toBe("missing");
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
});
