/**
 * The pure money decisions of returns and balances. Invariants, over any sequence of operations:
 * a balance account keeps balance = issued − Σ captured + Σ given back ≥ held ≥ 0 (no checkout
 * ever spends more than is there); the returns of an order line add up to its total, never more;
 * a refund's allocation never gives a source more than it has left; and a return of units never
 * puts back more than the checkout sold.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { availableOf, decideCapture, decideClose, decideGiveBack, decideHold, type Account, type Hold } from "../../src/modules/gift-cards/ledger";
import { decideReturnUnits } from "../../src/modules/inventory/ledger";
import { allocateRefund, returnShare } from "../../src/modules/returns/amounts";

type Op = { kind: "hold" | "capture" | "release" | "close" | "giveBack" | "credit" | "expire"; checkout: number; amount: number; all: boolean };

/** Applies one operation the way GiftCardDO does (the same decisions, the same writes). */
function apply(account: Account, holds: Map<number, Hold>, op: Op, now: number): Account {
  const hold = holds.get(op.checkout) ?? null;
  switch (op.kind) {
    case "hold": {
      const d = decideHold(account, hold, op.amount, now);
      if (d.kind !== "set") return account;
      holds.set(op.checkout, { amount: d.amount, status: d.amount > 0 ? "held" : "released", captured: hold?.captured ?? 0, returned: hold?.returned ?? 0 });
      return { ...account, held: account.held + d.heldDelta };
    }
    case "capture": {
      if (op.amount < 1) return account;
      const d = decideCapture(account, hold, op.amount);
      if (d.kind !== "capture") return account;
      holds.set(op.checkout, { amount: op.amount, status: "captured", captured: op.amount, returned: 0 });
      return { ...account, balance: account.balance + d.balanceDelta, held: account.held + d.heldDelta };
    }
    case "release":
    case "expire": {
      if (hold?.status !== "held") return account;
      holds.set(op.checkout, { ...hold, status: "released" });
      return { ...account, held: account.held - hold.amount };
    }
    case "close": {
      const d = decideClose(hold);
      if (!d) return account;
      holds.set(op.checkout, { amount: hold?.amount ?? 0, status: "closed", captured: hold?.captured ?? 0, returned: (hold?.returned ?? 0) + d.returned });
      return { ...account, balance: account.balance + d.balanceDelta, held: account.held + d.heldDelta };
    }
    case "giveBack": {
      const given = decideGiveBack(hold, op.all ? null : op.amount);
      if (given === null) return account;
      holds.set(op.checkout, { ...hold!, returned: hold!.returned + given });
      return { ...account, balance: account.balance + given };
    }
    case "credit":
      return op.amount < 1 ? account : { ...account, issued: account.issued + op.amount, balance: account.balance + op.amount };
  }
}

describe("balance ledger (GiftCardDO decisions)", () => {
  it("holds what is there and no more: concurrent checkouts share the available balance", () => {
    const account: Account = { issued: 1000, balance: 1000, held: 700, currency: "USD", expiresAt: null, version: 1 };
    expect(availableOf(account)).toBe(300);
    expect(decideHold(account, null, 500, 0)).toEqual({ kind: "set", amount: 300, heldDelta: 300 });
    expect(decideHold(account, { amount: 200, status: "held", captured: 0, returned: 0 }, 400, 0)).toEqual({ kind: "set", amount: 400, heldDelta: 200 });
    expect(decideHold(account, { amount: 200, status: "held", captured: 0, returned: 0 }, 200, 0)).toEqual({ kind: "keep", amount: 200 });
    expect(decideHold({ ...account, expiresAt: 5 }, null, 100, 10)).toEqual({ kind: "keep", amount: 0 });
    expect(decideHold(account, { amount: 0, status: "closed", captured: 0, returned: 0 }, 100, 0)).toEqual({ kind: "closed" });
    expect(decideCapture(account, null, 301)).toEqual({ kind: "insufficient" });
    expect(decideGiveBack({ amount: 500, status: "captured", captured: 500, returned: 400 }, 300)).toBe(100);
  });

  it("over any sequence of holds, captures, releases, closes, give-backs and credits: balance = issued − captured + returned ≥ held ≥ 0", () => {
    const op = fc.record({
      kind: fc.constantFrom("hold", "capture", "release", "close", "giveBack", "credit", "expire"),
      checkout: fc.nat(5),
      amount: fc.nat(1500),
      all: fc.boolean(),
    }) as fc.Arbitrary<Op>;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.array(op, { maxLength: 60 }), (issued, ops) => {
        let account: Account = { issued, balance: issued, held: 0, currency: "USD", expiresAt: null, version: 0 };
        const holds = new Map<number, Hold>();
        for (const o of ops) {
          account = apply(account, holds, o, 0);
          const all = [...holds.values()];
          const captured = all.reduce((s, h) => s + h.captured, 0);
          const returned = all.reduce((s, h) => s + h.returned, 0);
          expect(account.balance).toBe(account.issued - captured + returned);
          expect(account.held).toBe(all.filter((h) => h.status === "held").reduce((s, h) => s + h.amount, 0));
          expect(account.balance).toBeGreaterThanOrEqual(account.held);
          expect(account.held).toBeGreaterThanOrEqual(0);
          for (const h of all) expect(h.returned).toBeLessThanOrEqual(h.captured);
        }
      }),
    );
  });
});

describe("return amounts", () => {
  it("a partial return gets its share rounded down; the one that completes the line gets the rest", () => {
    const line = { quantity: 2, total: 1869, tax: 170 };
    expect(returnShare(line, { quantity: 0, amount: 0, tax: 0 }, 1)).toEqual({ amount: 934, tax: 85 });
    expect(returnShare(line, { quantity: 1, amount: 934, tax: 85 }, 1)).toEqual({ amount: 935, tax: 85 });
    expect(() => returnShare(line, { quantity: 1, amount: 934, tax: 85 }, 2)).toThrow(RangeError);
  });

  it("any split of a line into returns adds up to its total, and no prefix of it exceeds the total", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.nat(1_000_000), fc.nat(200_000), fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 60 }), (quantity, total, tax, sizes) => {
        const line = { quantity, total, tax };
        const taken = { quantity: 0, amount: 0, tax: 0 };
        for (const size of sizes) {
          const units = Math.min(size, quantity - taken.quantity);
          if (units < 1) break;
          const share = returnShare(line, taken, units);
          expect(share.amount).toBeGreaterThanOrEqual(0);
          taken.quantity += units;
          taken.amount += share.amount;
          taken.tax += share.tax;
          expect(taken.amount).toBeLessThanOrEqual(total);
          expect(taken.tax).toBeLessThanOrEqual(tax);
        }
        if (taken.quantity === quantity) expect([taken.amount, taken.tax]).toEqual([total, tax]);
      }),
    );
  });

  it("a refund's allocation pays it in full and gives no source more than it has left", () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(10_000), fc.array(fc.nat(5_000), { maxLength: 4 }), (amount, payment, lefts) => {
        const balances = lefts.map((left, i) => ({ accountId: `a${i}`, left }));
        const a = allocateRefund(amount, "original", { payment, balances });
        expect(a.payment + a.balances.reduce((s, b) => s + b.amount, 0) + a.credit).toBe(amount);
        expect(a.payment).toBeLessThanOrEqual(payment);
        a.balances.forEach((b) => expect(b.amount).toBeLessThanOrEqual(balances.find((x) => x.accountId === b.accountId)!.left));
        // What is left over only when the sources are exhausted.
        if (a.credit > 0) expect(a.payment + a.balances.reduce((s, b) => s + b.amount, 0)).toBe(payment + lefts.reduce((s, l) => s + l, 0));
        expect(allocateRefund(amount, "store_credit", { payment, balances })).toEqual({ payment: 0, balances: [], credit: amount });
      }),
    );
  });
});

describe("returned units (InventoryDO decision)", () => {
  it("puts back at most what the checkout still has sold, and nothing for a sale already returned", () => {
    expect(decideReturnUnits({ qty: 3, status: "committed" }, 1)).toEqual({ back: 1, soldLeft: 2 });
    expect(decideReturnUnits({ qty: 1, status: "committed" }, 5)).toEqual({ back: 1, soldLeft: 0 });
    expect(decideReturnUnits({ qty: 3, status: "returned" }, 1)).toBeNull();
    expect(decideReturnUnits({ qty: 3, status: "held" }, 1)).toBeNull();
    expect(decideReturnUnits(null, 1)).toBeNull();
  });
});
