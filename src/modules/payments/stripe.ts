/**
 * Stripe-compatible adapter. Paying creates (once per checkout) a PaymentIntent that the customer
 * confirms in the browser with its client secret; the signed `payment_intent.succeeded` webhook
 * completes the order (webhook.ts). An intent nothing can count any more is canceled. Refunds
 * are created once per refund id and, while the provider reports them pending, looked up again by
 * reference until they succeed or fail.
 */
import type { Config } from "../../env";
import type { CancelResult, PaymentProvider, RefundResult, StartResult } from "./types";

const DEFAULT_API = "https://api.stripe.com/v1";
const TIMEOUT_MS = 10_000;

type StripeObject = { id?: string; status?: string; client_secret?: string; error?: { code?: string; type?: string } };

/** A provider answer we cannot act on (5xx, 429): the outcome is unknown or transient. */
export class StripeUnavailableError extends Error {
  constructor(readonly httpStatus: number) {
    super(`payment provider answered ${httpStatus}`);
    this.name = "StripeUnavailableError";
  }
}

/** An intent that could not be canceled and is not paid either (processing): asked again later. */
export class IntentUnsettledError extends Error {
  constructor(readonly intentStatus: string) {
    super(`payment intent is ${intentStatus}`);
    this.name = "IntentUnsettledError";
  }
}

export function stripeProvider(config: Config): PaymentProvider {
  const key = config.PAYMENT_API_KEY ?? "";
  const api = config.PAYMENT_API_URL ?? DEFAULT_API;

  async function call(method: "GET" | "POST", path: string, form: Record<string, string> | null, idempotencyKey: string | null) {
    const headers: Record<string, string> = { Authorization: `Bearer ${key}` };
    if (form) headers["Content-Type"] = "application/x-www-form-urlencoded";
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    const response = await fetch(`${api}${path}`, {
      method,
      headers,
      body: form ? new URLSearchParams(form) : undefined,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const json = (await response.json().catch(() => ({}))) as StripeObject;
    return { status: response.status, json };
  }

  const provider: PaymentProvider = {
    name: "stripe",
    invalidToken: (token) => (token === undefined || /^[A-Za-z0-9_]{1,255}$/.test(token) ? null : "token must be a payment method id"),
    async start(input): Promise<StartResult> {
      const form: Record<string, string> = {
        amount: String(input.amount),
        currency: input.currency.toLowerCase(),
        "metadata[checkoutId]": input.checkoutId,
        "automatic_payment_methods[enabled]": "true",
      };
      if (input.token) form.payment_method = input.token;
      // One intent per checkout: a retried payment gets the same intent (and client secret) back.
      const { status, json } = await call("POST", "/payment_intents", form, `pi:${input.checkoutId}`);
      if (status >= 500 || status === 429) throw new StripeUnavailableError(status);
      if (status >= 400 || !json.id) return { status: "declined", ref: json.id ?? `pi_refused_${input.checkoutId}`, reason: json.error?.code ?? "invalid_request" };
      if (json.status === "succeeded") return { status: "succeeded", ref: json.id };
      if (json.status === "canceled") return { status: "declined", ref: json.id, reason: "canceled" };
      return { status: "requires_confirmation", ref: json.id, clientSecret: json.client_secret ?? "" };
    },
    async lookup(input, knownRef): Promise<StartResult | null> {
      // A recorded intent is asked about by its id. Otherwise the idempotent create answers the
      // intent's id (as first created, while Stripe keeps the key, about 24 h); its state is a GET away.
      const ref = knownRef ?? (await provider.start(input)).ref;
      const { status, json } = await call("GET", `/payment_intents/${encodeURIComponent(ref)}`, null, null);
      if (status >= 500 || status === 429) throw new StripeUnavailableError(status);
      if (status === 404) return null;
      if (json.status === "succeeded") return { status: "succeeded", ref };
      if (json.status === "canceled") return { status: "declined", ref, reason: "canceled" };
      return { status: "requires_confirmation", ref, clientSecret: json.client_secret ?? "" };
    },
    async cancel(ref): Promise<CancelResult> {
      const path = `/payment_intents/${encodeURIComponent(ref)}`;
      const canceled = await call("POST", `${path}/cancel`, { cancellation_reason: "abandoned" }, null);
      if (canceled.status >= 500 || canceled.status === 429) throw new StripeUnavailableError(canceled.status);
      if (canceled.status === 404 || canceled.json.status === "canceled") return { status: "canceled" };
      // Refused: canceled before, or paid (or being paid) first. Its state says which.
      const { status, json } = await call("GET", path, null, null);
      if (status >= 500 || status === 429) throw new StripeUnavailableError(status);
      if (status === 404 || json.status === "canceled") return { status: "canceled" };
      if (json.status === "succeeded") return { status: "succeeded", ref };
      throw new IntentUnsettledError(json.status ?? `http_${status}`);
    },
    async refund(input): Promise<RefundResult> {
      const { status, json } = input.providerRefundRef
        ? await call("GET", `/refunds/${encodeURIComponent(input.providerRefundRef)}`, null, null)
        : await call(
            "POST",
            "/refunds",
            { payment_intent: input.paymentRef, amount: String(input.amount), "metadata[refundId]": input.refundId },
            `refund:${input.refundId}`,
          );
      if (status >= 500 || status === 429) return { status: "failed", reason: `provider_${status}`, retryable: true };
      if (status >= 400 || !json.id) return { status: "failed", reason: json.error?.code ?? `provider_${status}`, retryable: false };
      if (json.status === "succeeded") return { status: "succeeded", ref: json.id };
      if (json.status === "failed" || json.status === "canceled") return { status: "failed", reason: `refund_${json.status}`, retryable: false };
      return { status: "pending", ref: json.id };
    },
  };
  return provider;
}
