/** The payment provider interface, apart from the providers that implement it and the code that picks one. */
export type ProviderName = "test" | "stripe";

/** `attemptKey` names one payment attempt of the checkout: starting it twice charges at most once. */
export type StartInput = { checkoutId: string; attemptKey: string; amount: number; currency: string; token: string | undefined };
/**
 * A started payment either settled at once (test provider), was declined, or waits for the
 * customer to confirm it with the provider (client secret) and completes by webhook.
 */
export type StartResult =
  | { status: "succeeded"; ref: string }
  | { status: "declined"; ref: string; reason: string }
  | { status: "requires_confirmation"; ref: string; clientSecret: string };

export type RefundInput = { refundId: string; paymentRef: string; amount: number; currency: string; providerRefundRef: string | null };
/**
 * `succeeded` is the provider's confirmation; `pending` means accepted but not final yet (asked
 * again later, by reference); a failure says whether trying again could help.
 */
export type RefundResult =
  | { status: "succeeded"; ref: string }
  | { status: "pending"; ref: string }
  | { status: "failed"; reason: string; retryable: boolean };

/**
 * What asking to cancel an open payment came to: `canceled` when the customer can no longer pay
 * it (or the provider never had it); `succeeded` when the money had moved first, which the caller
 * then records like any capture it was not expecting.
 */
export type CancelResult = { status: "canceled" } | { status: "succeeded"; ref: string };

export interface PaymentProvider {
  readonly name: ProviderName;
  /** Starts the payment of a checkout; idempotent per attempt. Throws when the outcome is unknown (network). */
  start(input: StartInput): Promise<StartResult>;
  /**
   * What became of an attempt whose request died before the shop recorded the answer: its
   * current outcome, or null when the provider never saw it. Throws when the provider cannot say.
   * `ref`, when the shop recorded the provider's reference, is asked about directly.
   */
  lookup(input: StartInput, ref?: string): Promise<StartResult | null>;
  /**
   * Cancels a payment the customer has not confirmed yet (by the provider's reference), so nothing
   * that no longer counts it can be paid. Idempotent. Throws when the provider cannot say.
   */
  cancel(ref: string): Promise<CancelResult>;
  /** Gives captured money back; idempotent per refundId. Throws when the outcome is unknown (network). */
  refund(input: RefundInput): Promise<RefundResult>;
  /** Checks a token's shape before anything is reserved or charged; null when acceptable. */
  invalidToken(token: string | undefined): string | null;
}
