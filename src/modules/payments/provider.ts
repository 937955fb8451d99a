/**
 * Payment providers behind one interface, chosen by the server from its configuration
 * (PAYMENT_PROVIDER), never by the client. `test` is a deterministic provider for development and
 * tests only; `stripe` is a Stripe-compatible adapter whose payments complete by signed webhook.
 */
import { getConfig, type Config } from "../../env";
import { stripeProvider } from "./stripe";
import { testProvider } from "./test-provider";

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

export interface PaymentProvider {
  readonly name: ProviderName;
  /** Starts the payment of a checkout; idempotent per attempt. Throws when the outcome is unknown (network). */
  start(input: StartInput): Promise<StartResult>;
  /**
   * What became of an attempt whose request died before the shop recorded the answer: its
   * current outcome, or null when the provider never saw it. Throws when the provider cannot say.
   */
  lookup(input: StartInput): Promise<StartResult | null>;
  /** Gives captured money back; idempotent per refundId. Throws when the outcome is unknown (network). */
  refund(input: RefundInput): Promise<RefundResult>;
  /** Checks a token's shape before anything is reserved or charged; null when acceptable. */
  invalidToken(token: string | undefined): string | null;
}

/** Thrown when the configured provider may not run here: payments fail loudly (500, logged, reported), nothing is charged. */
export class PaymentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PaymentConfigError";
  }
}

/** The test provider exists only where configuration says it may: development and tests. */
export const TEST_PROVIDER_ENVIRONMENTS = new Set(["development", "test"]);

function providerFrom(config: Config, name: string): PaymentProvider {
  if (name === "test") {
    if (!TEST_PROVIDER_ENVIRONMENTS.has(config.ENVIRONMENT)) {
      throw new PaymentConfigError(`the test payment provider is not allowed when ENVIRONMENT=${config.ENVIRONMENT}`);
    }
    return testProvider;
  }
  if (name === "stripe") {
    if (!config.PAYMENT_API_KEY) throw new PaymentConfigError("PAYMENT_PROVIDER=stripe needs PAYMENT_API_KEY");
    return stripeProvider(config);
  }
  throw new PaymentConfigError(`unknown payment provider ${name}`);
}

/** The provider new payments go through. */
export function configuredProvider(env: Env): PaymentProvider {
  const config = getConfig(env);
  return providerFrom(config, config.PAYMENT_PROVIDER);
}

/** The provider that took a stored payment (refunds go back through it). */
export function providerOfPayment(env: Env, name: string): PaymentProvider {
  return providerFrom(getConfig(env), name);
}
