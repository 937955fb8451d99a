/**
 * A fake of the slice of Stripe's API the adapter uses, behind a spy on `fetch`: PaymentIntents
 * (created once per Idempotency-Key, confirmed or failed by the "customer", canceled unless
 * paid), refunds (once per
 * Idempotency-Key, never more than was captured), and planned faults. Its ledger is the
 * provider's truth — what was charged and what was given back — that tests compare with the
 * shop's records. Events come out signed like Stripe's webhooks.
 */
import { vi } from "vitest";
import { signPayload } from "../../src/modules/payments/signature";

/** `paid_first`: the customer pays the intent just before the shop's cancel reaches the provider. */
export type StripeFault = "network_before" | "network_after" | "http_500" | "http_400" | "refund_pending" | "paid_first";

type Intent = { id: string; amount: number; currency: string; checkoutId: string; status: "requires_payment_method" | "succeeded" | "canceled"; clientSecret: string };
type RefundObject = { id: string; paymentIntent: string; amount: number; status: "pending" | "succeeded"; refundId: string };

export class FakeStripe {
  readonly intents = new Map<string, Intent>();
  readonly refunds = new Map<string, RefundObject>();
  readonly faults: { intents: StripeFault[]; refunds: StripeFault[] } = { intents: [], refunds: [] };
  private readonly idempotent = new Map<string, { status: number; body: unknown }>();
  private counter = 0;
  private eventCounter = 0;
  /** Ids are unique across fakes too, as Stripe's are (payments are unique per provider reference). */
  private readonly prefix = crypto.randomUUID().slice(0, 8);

  constructor(private readonly webhookSecret: string) {}

  /** Routes the Worker's calls to api.stripe.com here; everything else goes out as usual. */
  install() {
    const realFetch = globalThis.fetch;
    return vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
      if (url.hostname !== "api.stripe.com") return realFetch(input, init);
      return this.handle(url, init ?? {});
    });
  }

  /** The PaymentIntent the shop created for a checkout. */
  intentIdOf(checkoutId: string): string {
    const intent = [...this.intents.values()].find((i) => i.checkoutId === checkoutId);
    if (!intent) throw new Error(`no intent for ${checkoutId}`);
    return intent.id;
  }

  /** What the provider holds: money captured and not given back, per PaymentIntent. */
  capturedNet(intentId: string): number {
    const intent = this.intents.get(intentId);
    if (intent?.status !== "succeeded") return 0;
    return intent.amount - this.refundedOf(intentId);
  }

  refundedOf(intentId: string): number {
    return [...this.refunds.values()].filter((r) => r.paymentIntent === intentId && r.status === "succeeded").reduce((s, r) => s + r.amount, 0);
  }

  /** The customer confirms in the browser: the charge happens; answers the webhook Stripe would send. */
  confirm(intentId: string) {
    const intent = this.intents.get(intentId);
    if (!intent) throw new Error(`no intent ${intentId}`);
    if (intent.status === "canceled") throw new Error(`intent ${intentId} is canceled and cannot be paid`);
    intent.status = "succeeded";
    return this.event("payment_intent.succeeded", intent);
  }

  /** The customer's card is refused: answers the payment_failed webhook. */
  decline(intentId: string) {
    const intent = this.intents.get(intentId);
    if (!intent) throw new Error(`no intent ${intentId}`);
    return this.event("payment_intent.payment_failed", intent);
  }

  /** An asynchronous refund completes at the provider: answers the refund.updated webhook. */
  completeRefund(stripeRefundId: string) {
    const refund = this.refunds.get(stripeRefundId)!;
    refund.status = "succeeded";
    return this.eventOf("refund.updated", { id: refund.id, object: "refund", status: refund.status, amount: refund.amount, metadata: { refundId: refund.refundId } });
  }

  private event(type: string, intent: Intent) {
    return this.eventOf(type, {
      id: intent.id,
      object: "payment_intent",
      amount: intent.amount,
      currency: intent.currency,
      metadata: { checkoutId: intent.checkoutId },
      status: intent.status,
    });
  }

  private eventOf(type: string, object: unknown) {
    this.eventCounter += 1;
    return JSON.stringify({ id: `evt_fake_${this.prefix}_${this.eventCounter}`, object: "event", type, data: { object } });
  }

  /** A delivery as Stripe signs it (header `Stripe-Signature`). */
  async signed(body: string, at = Date.now()) {
    const t = Math.floor(at / 1000);
    return { body, headers: { "Stripe-Signature": `t=${t},v1=${await signPayload(this.webhookSecret, t, body)}` } };
  }

  private async handle(url: URL, init: RequestInit): Promise<Response> {
    const method = (init.method ?? "GET").toUpperCase();
    const headers = new Headers(init.headers);
    const key = headers.get("Idempotency-Key");
    const form = new URLSearchParams(typeof init.body === "string" ? init.body : init.body instanceof URLSearchParams ? init.body.toString() : "");
    const kind = url.pathname.startsWith("/v1/payment_intents") ? "intents" : "refunds";
    const fault = method === "POST" ? this.faults[kind].shift() : undefined;
    if (fault === "network_before") throw new TypeError("fetch failed: connection reset (fake)");
    if (fault === "http_500") return Response.json({ error: { type: "api_error" } }, { status: 500 });
    if (fault === "http_400") return Response.json({ error: { type: "invalid_request_error", code: "charge_disputed" } }, { status: 400 });
    const remembered = key ? this.idempotent.get(`${kind}:${key}`) : undefined;
    let answer: { status: number; body: unknown };
    if (remembered) answer = remembered;
    else if (method === "GET" && kind === "intents") {
      const intent = this.intents.get(url.pathname.split("/").pop()!);
      answer = intent
        ? { status: 200, body: { id: intent.id, object: "payment_intent", status: intent.status, client_secret: intent.clientSecret, amount: intent.amount } }
        : { status: 404, body: { error: { code: "resource_missing" } } };
    } else if (method === "GET" && kind === "refunds") {
      const refund = this.refunds.get(url.pathname.split("/").pop()!);
      answer = refund ? { status: 200, body: this.refundBody(refund) } : { status: 404, body: { error: { code: "resource_missing" } } };
    } else if (kind === "intents" && url.pathname.endsWith("/cancel")) answer = this.cancelIntent(url.pathname.split("/").at(-2)!, fault === "paid_first");
    else if (kind === "intents") answer = this.createIntent(form);
    else answer = this.createRefund(form, fault === "refund_pending");
    if (key && !remembered && answer.status < 500) this.idempotent.set(`${kind}:${key}`, answer);
    if (fault === "network_after") throw new TypeError("fetch failed: connection reset after the request (fake)");
    if (method === "POST" && kind === "intents" && !url.pathname.endsWith("/cancel") && answer.status === 200 && !form.get("metadata[checkoutId]")) throw new Error("fake Stripe: an intent without a checkout");
    return Response.json(answer.body, { status: answer.status });
  }

  private createIntent(form: URLSearchParams) {
    this.counter += 1;
    const id = `pi_fake_${this.prefix}_${this.counter}`;
    const intent: Intent = {
      id,
      amount: Number(form.get("amount")),
      currency: form.get("currency") ?? "usd",
      checkoutId: form.get("metadata[checkoutId]") ?? "",
      status: "requires_payment_method",
      clientSecret: `${id}_secret_${this.counter}`,
    };
    this.intents.set(id, intent);
    return { status: 200, body: { id, object: "payment_intent", status: intent.status, client_secret: intent.clientSecret, amount: intent.amount } };
  }

  /** As Stripe: an intent not paid yet is canceled; a paid or canceled one refuses (400). */
  private cancelIntent(id: string, paidFirst: boolean) {
    const intent = this.intents.get(id);
    if (!intent) return { status: 404, body: { error: { code: "resource_missing" } } };
    if (paidFirst) intent.status = "succeeded";
    if (intent.status !== "requires_payment_method") return { status: 400, body: { error: { type: "invalid_request_error", code: "payment_intent_unexpected_state" } } };
    intent.status = "canceled";
    return { status: 200, body: { id, object: "payment_intent", status: intent.status, amount: intent.amount } };
  }

  private createRefund(form: URLSearchParams, pending: boolean) {
    const intentId = form.get("payment_intent") ?? "";
    const amount = Number(form.get("amount"));
    const intent = this.intents.get(intentId);
    const alreadyRefunded = [...this.refunds.values()].filter((r) => r.paymentIntent === intentId).reduce((sum, r) => sum + r.amount, 0);
    if (intent?.status !== "succeeded" || intent.amount - alreadyRefunded < amount) return { status: 400, body: { error: { type: "invalid_request_error", code: "charge_already_refunded" } } };
    this.counter += 1;
    const refund: RefundObject = { id: `re_fake_${this.prefix}_${this.counter}`, paymentIntent: intentId, amount, status: pending ? "pending" : "succeeded", refundId: form.get("metadata[refundId]") ?? "" };
    this.refunds.set(refund.id, refund);
    return { status: 200, body: this.refundBody(refund) };
  }

  private refundBody(refund: RefundObject) {
    return { id: refund.id, object: "refund", status: refund.status, amount: refund.amount, payment_intent: refund.paymentIntent, metadata: { refundId: refund.refundId } };
  }
}
