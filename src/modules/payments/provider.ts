/**
 * Payment providers behind one interface, chosen by the server from its configuration
 * (PAYMENT_PROVIDER), never by the client. `test` is a deterministic provider for development and
 * tests only; `stripe` is a Stripe-compatible adapter whose payments complete by signed webhook.
 */
import { getConfig, type Config } from "../../env";
import { stripeProvider } from "./stripe";
import { testProvider } from "./test-provider";
import type { PaymentProvider } from "./types";

export type { PaymentProvider, RefundResult, StartInput, StartResult, ProviderName } from "./types";

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
