/**
 * Invariant: the refunds of a payment never add up to more than it captured, however partial
 * refunds (returns) and full refunds (cancel, admin refund, a checkout that failed) interleave —
 * enforced by each refund insert itself, not by a read before it.
 */
import { env } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newId } from "../../src/lib/ids";
import { refundOrderPaymentStatement, refundPartOfOrderPaymentStatement } from "../../src/modules/payments/repo";
import { buy, quickCustomer } from "../factories/after-purchase";
import { clearInventoryAlarms, createVariant } from "../factories/commerce";

let order: { id: string; status: string; version: number };
let payment: { id: string; amount: number };

beforeAll(async () => {
  const v = await createVariant(5, 2599);
  const { orderId } = await buy(await quickCustomer(), [{ variantId: v.id, quantity: 2 }]);
  order = (await env.DB.prepare("SELECT id, status, version FROM orders WHERE id = ?").bind(orderId).first())!;
  payment = (await env.DB.prepare("SELECT id, amount FROM payments WHERE order_id = ?").bind(orderId).first())!;
});
afterAll(() => clearInventoryAlarms());

type Op = { kind: "part"; amount: number; key: number } | { kind: "full" };
const always = { sql: "1 = 1", args: [] };

it("property: any interleaving of partial and full refund inserts keeps Σ refunds ≤ captured", async () => {
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("part" as const), amount: fc.integer({ min: 1, max: 3000 }), key: fc.nat(6) }) },
    { weight: 1, arbitrary: fc.constant({ kind: "full" as const }) },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
      await env.DB.prepare("DELETE FROM refunds WHERE payment_id = ?").bind(payment.id).run();
      let expected = 0;
      const keys = new Set<number>();
      for (const o of ops) {
        const now = Date.now();
        const statement =
          o.kind === "part"
            ? refundPartOfOrderPaymentStatement(env.DB, { refundId: newId("rfd", now), orderId: order.id, amount: o.amount, reason: "return", dedupeKey: `prop:${o.key}`, now, onlyIf: always })
            : refundOrderPaymentStatement(env.DB, newId("rfd", now), order, "order_refunded", now);
        const wrote = (await statement.run()).meta.changes === 1;
        // The model: a part is written whole when it fits and its key is new; a full refund takes what is left, once.
        if (o.kind === "part") {
          const fits = !keys.has(o.key) && o.amount <= payment.amount - expected;
          expect(wrote).toBe(fits);
          if (fits) {
            keys.add(o.key);
            expected += o.amount;
          }
        } else {
          expect(wrote).toBe(!keys.has(-1) && expected < payment.amount);
          if (wrote) {
            keys.add(-1);
            expected = payment.amount;
          }
        }
        const sum = await env.DB.prepare("SELECT COALESCE(SUM(amount), 0) AS s FROM refunds WHERE payment_id = ?").bind(payment.id).first<{ s: number }>();
        expect(sum!.s).toBe(expected);
        expect(sum!.s).toBeLessThanOrEqual(payment.amount);
      }
    }),
    { numRuns: 25 },
  );
});
