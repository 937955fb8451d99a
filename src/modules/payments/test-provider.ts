/**
 * The deterministic provider of development and tests: token `tok_success` pays, `tok_decline`
 * is declined. It keeps a ledger of what it charged and refunded (like a provider's dashboard),
 * and takes planned faults, so tests can check every charge against the shop's records and see
 * what the shop does when the provider fails. Never available in production (provider.ts).
 */
import { randomToken } from "../../lib/crypto";
import type { PaymentProvider, RefundResult } from "./provider";

export const TEST_TOKENS = ["tok_success", "tok_decline"] as const;

/** A planned fault for the next call: fails before reaching the "provider", after it acted, or as a refusal. */
export type TestFault = "network_before" | "network_after" | "provider_error" | "rejected";

export const testPaymentFaults: { start: TestFault[]; refund: TestFault[] } = { start: [], refund: [] };

type Charge = { ref: string; checkoutId: string; amount: number; currency: string };
type Refund = { refundId: string; paymentRef: string; amount: number };
const LEDGER_LIMIT = 10_000;
export const testPaymentLedger: { charges: Charge[]; refunds: Refund[] } = { charges: [], refunds: [] };

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
    if (fault === "network_before" || fault === "network_after") throw new TestProviderNetworkError();
    const ref = `test_${input.checkoutId}_${randomToken(6)}`;
    if (fault === "provider_error" || fault === "rejected") return { status: "declined", ref, reason: "processing_error" };
    if (input.token !== "tok_success") return { status: "declined", ref, reason: "card_declined" };
    remember(testPaymentLedger.charges, { ref, checkoutId: input.checkoutId, amount: input.amount, currency: input.currency });
    return { status: "succeeded", ref };
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
