/**
 * Payment providers behind one interface. `test` is the local default (tokens tok_success /
 * tok_decline); a real provider is an adapter whose confirmations also arrive by signed webhook.
 */
import { getConfig } from "../../env";
import { randomToken } from "../../lib/crypto";
import { stripeProvider } from "./stripe";

export type ChargeInput = { checkoutId: string; amount: number; currency: string; token: string };
export type ChargeResult = { ok: true; ref: string } | { ok: false; ref: string; reason: string };

export interface PaymentProvider {
  readonly name: string;
  /** Charges the amount once per checkout id; a decline is a value, not an exception. */
  charge(input: ChargeInput): Promise<ChargeResult>;
  /** Gives the money of a captured charge back. */
  refund(ref: string, amount: number): Promise<{ ok: boolean }>;
}

/** Deterministic provider for development and tests: tok_success pays, anything else declines. */
export const testProvider: PaymentProvider = {
  name: "test",
  async charge(input) {
    const ref = `test_${input.checkoutId}_${randomToken(6)}`;
    return input.token === "tok_success" ? { ok: true, ref } : { ok: false, ref, reason: "card_declined" };
  },
  async refund() {
    return { ok: true };
  },
};

/** The provider named by a payment request or a stored payment row. */
export function getProvider(env: Env, name: string): PaymentProvider {
  if (name === "test") return testProvider;
  if (name === "stripe") return stripeProvider(getConfig(env));
  throw new Error(`unknown payment provider ${name}`);
}
