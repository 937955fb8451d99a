/**
 * Stripe-compatible adapter: a charge confirms a PaymentIntent through the provider's HTTP API;
 * the authoritative "succeeded" also arrives by the signed webhook (webhook.ts).
 */
import type { Config } from "../../env";
import type { PaymentProvider } from "./provider";

const API = "https://api.stripe.com/v1";

async function post(key: string, path: string, form: Record<string, string>, idempotencyKey: string) {
  const response = await fetch(`${API}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": idempotencyKey },
    body: new URLSearchParams(form),
  });
  return { status: response.status, json: (await response.json()) as { id?: string; status?: string; error?: { code?: string } } };
}

export function stripeProvider(config: Config): PaymentProvider {
  const key = config.PAYMENT_API_KEY ?? "";
  return {
    name: "stripe",
    async charge(input) {
      const { json } = await post(
        key,
        "/payment_intents",
        {
          amount: String(input.amount),
          currency: input.currency.toLowerCase(),
          payment_method: input.token,
          confirm: "true",
          "metadata[checkoutId]": input.checkoutId,
        },
        `charge:${input.checkoutId}`,
      );
      const ref = json.id ?? `pi_unknown_${input.checkoutId}`;
      return json.status === "succeeded" ? { ok: true, ref } : { ok: false, ref, reason: json.error?.code ?? json.status ?? "failed" };
    },
    async refund(ref, amount) {
      const { status } = await post(key, "/refunds", { payment_intent: ref, amount: String(amount) }, `refund:${ref}`);
      return { ok: status < 300 };
    },
  };
}
