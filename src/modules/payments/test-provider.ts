/**
 * The deterministic provider of development and tests: token `tok_success` pays, `tok_decline`
 * is declined. It keeps a ledger of what it charged and refunded (like a provider's dashboard),
 * and takes planned faults, so tests can check every charge against the shop's records and see
 * what the shop does when the provider fails. Never available in production (provider.ts).
 */
import { randomToken } from "../../lib/crypto";
import type { PaymentProvider, RefundResult } from "./types";

export const TEST_TOKENS = ["tok_success", "tok_decline"] as const;

/** A planned fault for the next call: fails before reaching the "provider", after it acted (the answer is lost), or as a refusal. */
export type TestFault = "network_before" | "network_after" | "provider_error" | "rejected";

export const testPaymentFaults: { start: TestFault[]; refund: TestFault[] } = { start: [], refund: [] };

type Charge = { ref: string; checkoutId: string; attemptKey: string; amount: number; currency: string };
type Refund = { refundId: string; paymentRef: string; amount: number };
const LEDGER_LIMIT = 10_000;
export const testPaymentLedger: { charges: Charge[]; refunds: Refund[]; declines: Map<string, string> } = { charges: [], refunds: [], declines: new Map() };

export class TestProviderNetworkError extends Error {
  constructor() {
    super("test provider: connection lost");
    this.name = "TestProviderNetworkError";
  }
}

function remember<T>(list: T[], item: T) {
  list.push(item);
  if (list.length > LEDGER_LIMIT) list.shift();
}

export const testProvider: PaymentProvider = {
  name: "test",
  invalidToken(token) {
    return token && (TEST_TOKENS as readonly string[]).includes(token) ? null : `token must be one of ${TEST_TOKENS.join(", ")}`;
  },
  async start(input) {
    const fault = testPaymentFaults.start.shift();
    if (fault === "network_before") throw new TestProviderNetworkError();
    // Idempotent per attempt, as a real provider is per idempotency key.
    const known = await testProvider.lookup(input);
    if (known) return known;
    const ref = `test_${input.checkoutId}_${randomToken(6)}`;
    if (fault === "provider_error" || fault === "rejected" || input.token !== "tok_success") {
      const reason = fault ? "processing_error" : "card_declined";
      testPaymentLedger.declines.set(input.attemptKey, reason);
      // Bounded like the rest of the ledger: a long-running dev server never grows without end.
      if (testPaymentLedger.declines.size > LEDGER_LIMIT) testPaymentLedger.declines.delete(testPaymentLedger.declines.keys().next().value!);
      return { status: "declined", ref, reason };
    }
    remember(testPaymentLedger.charges, { ref, checkoutId: input.checkoutId, attemptKey: input.attemptKey, amount: input.amount, currency: input.currency });
    // The money moved, but the answer is lost on the way back.
    if (fault === "network_after") throw new TestProviderNetworkError();
    return { status: "succeeded", ref };
  },
  async lookup(input) {
    const charge = testPaymentLedger.charges.find((c) => c.attemptKey === input.attemptKey);
    if (charge) return { status: "succeeded", ref: charge.ref };
    const declined = testPaymentLedger.declines.get(input.attemptKey);
    return declined ? { status: "declined", ref: `test_${input.attemptKey}`, reason: declined } : null;
  },
  async cancel(ref) {
    // Its payments settle at once, so one it took is paid; anything else was never payable.
    return testPaymentLedger.charges.some((c) => c.ref === ref) ? { status: "succeeded", ref } : { status: "canceled" };
  },
  async refund(input): Promise<RefundResult> {
    const fault = testPaymentFaults.refund.shift();
    if (fault === "network_before") throw new TestProviderNetworkError();
    if (fault === "provider_error") return { status: "failed", reason: "provider_error", retryable: true };
    if (fault === "rejected") return { status: "failed", reason: "charge_not_refundable", retryable: false };
    // Idempotent per refund id, as real providers are per idempotency key.
    if (!testPaymentLedger.refunds.some((r) => r.refundId === input.refundId)) {
      remember(testPaymentLedger.refunds, { refundId: input.refundId, paymentRef: input.paymentRef, amount: input.amount });
    }
    if (fault === "network_after") throw new TestProviderNetworkError();
    return { status: "succeeded", ref: `test_re_${input.refundId}` };
  },
};
