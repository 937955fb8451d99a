/**
 * Payment providers behind one interface, chosen by the server from its configuration
 * (PAYMENT_PROVIDER), never by the client. `test` is a deterministic provider for development and
 * tests only; `stripe` is a Stripe-compatible adapter whose payments complete by signed webhook.
 */
import { getConfig, type Config } from "../../env";
import { BreakerOpenError } from "../../lib/circuit-breaker";
import { AppError, validationError } from "../../lib/errors";
import { createLogger } from "../../lib/log";
import { stripeProvider } from "./stripe";
import { testProvider } from "./test-provider";
import type { PaymentProvider } from "./types";

export type { CancelResult, PaymentProvider, RefundResult, StartInput, StartResult, ProviderName } from "./types";

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

/**
 * The provider a customer's payment request goes through: the configured one, or a loud failure
 * (a misconfigured shop takes no payment at all). The client may say which provider it expects,
 * never choose one the server does not use (422).
 */
export function providerForRequest(env: Env, expected: string | undefined, requestId: string | null): PaymentProvider {
  let provider: PaymentProvider;
  try {
    provider = configuredProvider(env);
  } catch (err) {
    if (err instanceof PaymentConfigError) createLogger({ requestId }).error("payment_provider_misconfigured", { message: err.message });
    throw err;
  }
  if (expected !== undefined && expected !== provider.name) throw validationError([{ path: "provider", message: `Payment provider ${expected} is not available` }]);
  return provider;
}

/** An attempt untouched this long has lost its request; asking the provider about it is safe. */
export const QUIET_ATTEMPT_MS = 30_000;

/** A provider that is down (or whose circuit is open) is a failed payment the shopper can retry, never a 5xx. */
export function providerUnavailable(err: unknown): AppError {
  const retryAfterSeconds = err instanceof BreakerOpenError ? Math.max(1, Math.ceil(err.retryInMs / 1000)) : 30;
  return new AppError("PAYMENT_FAILED", "The payment provider is unavailable; try again shortly", 402, {
    reason: "provider_unavailable",
    retryAfterSeconds,
  });
}

/** The provider that took a stored payment (refunds go back through it). */
export function providerOfPayment(env: Env, name: string): PaymentProvider {
  return providerFrom(getConfig(env), name);
}
