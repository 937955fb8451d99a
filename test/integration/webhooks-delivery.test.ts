/**
 * Outbound webhooks end to end inside workerd: events written with the change that causes them,
 * fanned out through the `webhooks` queue, signed (checked by the reference library in the test
 * receiver), retried on the documented schedule until dead, redelivered on demand, and signed with
 * both secrets during a rotation's grace period.
 * Invariant: each event reaches each subscribed endpoint exactly once while it answers 2xx, and
 * every attempt of one event carries the same webhook-id and body.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { getConfig } from "../../src/env";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { outboundBreakers } from "../../src/modules/outbound/breakers";
import { MAX_ATTEMPTS, RETRY_DELAYS_SECONDS, attemptDelivery } from "../../src/modules/webhooks/delivery";
import { dispatchPendingEvents } from "../../src/modules/webhooks/dispatch";
import { sweepWebhooks } from "../../src/modules/webhooks/service";
import { clearInventoryAlarms, createVariant, placeOrder } from "../factories/commerce";
import { createEndpoint, deliveryRow, pendingDelivery } from "../factories/webhooks";
import { call, createAdmin } from "../helpers";
import { routeFetchTo } from "../webhook-receiver";
import { processWebhookMessage } from "../../src/queues/webhooks";

let admin: { token: string };
beforeAll(async () => {
  admin = await createAdmin();
});
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  outboundBreakers.reset();
  await clearInventoryAlarms();
});

/** Runs the `webhooks` consumer on one message, as Queues would, and answers its ack/retry. */
async function consume(body: unknown, attempts = 1) {
  const batch = createMessageBatch("webhooks", [{ id: `msg-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

/** One message through the consumer's per-message path, recording the delay it asks Queues for (getQueueResult does not report delays). */
async function consumeRecordingDelay(body: unknown, attempts: number) {
  const outcome: { acked: boolean; retryDelay: number | null } = { acked: false, retryDelay: null };
  const message = {
    id: `msg-${attempts}`,
    attempts,
    body,
    ack: () => void (outcome.acked = true),
    retry: (options?: { delaySeconds?: number }) => void (outcome.retryDelay = options?.delaySeconds ?? null),
  };
  await processWebhookMessage(env, message as unknown as Message<unknown>);
  return outcome;
}

describe("order.placed", () => {
  it("reaches a subscribed endpoint exactly once per event id, signed, through the real queues", async () => {
    const subscribed = await createEndpoint(admin.token, ["order.placed"]);
    const other = await createEndpoint(admin.token, ["product.created"]);
    routeFetchTo(subscribed.receiver, other.receiver);
    const variant = await createVariant(5, 1999);

    const { orderId, customer } = await placeOrder(variant.id, 2);
    await vi.waitFor(() => expect(subscribed.receiver.ofType("order.placed")).toHaveLength(1), { timeout: 20_000, interval: 200 });

    // At least once underneath: a second fan-out, a sweep an hour later, a duplicate message.
    await dispatchPendingEvents(env);
    await sweepWebhooks(env, Date.now() + 3_600_000);
    const [delivery] = (await call("GET", `/api/v1/admin/webhooks/${subscribed.endpoint.id}/deliveries`, { token: admin.token })).json.data;
    await consume({ kind: "deliver", deliveryId: delivery.id });
    await new Promise((r) => setTimeout(r, 1_500));

    const [receipt] = subscribed.receiver.receipts;
    expect(subscribed.receiver.receipts).toHaveLength(1);
    expect(receipt!.verifiedBy).toEqual([subscribed.endpoint.secret]);
    expect(receipt!.webhookId).toBe(receipt!.payload.id);
    expect(receipt!.redirect).toBe("manual");
    expect(receipt!.payload.data).toMatchObject({
      orderId,
      status: "pending",
      customer: { id: customer.userId, email: customer.email },
      lines: [{ variantId: variant.id, quantity: 2, unitPrice: { amount: 1999, currency: "USD" } }],
      totals: { total: { amount: 3998, currency: "USD" } },
    });
    expect(delivery).toMatchObject({ eventId: receipt!.webhookId, type: "order.placed", status: "succeeded", attempts: 1, lastStatusCode: 200 });
    expect(other.receiver.receipts).toEqual([]);
  });
});

describe("retries", () => {
  it("retries a 500-answering endpoint with growing Queues delays and ends the delivery dead after the last attempt", async () => {
    const { endpoint, receiver } = await createEndpoint(admin.token, ["order.placed"]);
    receiver.answer = () => 500;
    routeFetchTo(receiver);
    const { deliveryId, eventId } = await pendingDelivery(endpoint.id);

    vi.useFakeTimers({ toFake: ["Date"] });
    let clock = Date.now();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      vi.setSystemTime(clock);
      const outcome = await consumeRecordingDelay({ kind: "deliver", deliveryId }, attempt);
      if (attempt < MAX_ATTEMPTS) {
        expect(outcome).toMatchObject({ acked: false, retryDelay: expect.any(Number) });
        delays.push(outcome.retryDelay!);
        clock += outcome.retryDelay! * 1000;
      } else {
        expect(outcome).toEqual({ acked: true, retryDelay: null });
      }
    }

    expect(delays).toEqual(RETRY_DELAYS_SECONDS);
    expect(delays.every((d, i) => i === 0 || d >= delays[i - 1]!)).toBe(true);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: "dead", attempts: MAX_ATTEMPTS, last_status_code: 500, next_attempt_at: null });
    expect(receiver.receipts).toHaveLength(MAX_ATTEMPTS);
    expect(new Set(receiver.receipts.map((r) => r.webhookId))).toEqual(new Set([eventId]));
    expect(new Set(receiver.receipts.map((r) => r.body)).size).toBe(1);
    // A dead delivery is never tried again by a late message.
    expect(await attemptDelivery(env, deliveryId, clock + 86_400_000)).toEqual({ kind: "skipped" });
  });

  it("does not try a delivery before its time, and two copies of a message send it once", async () => {
    const { endpoint, receiver } = await createEndpoint(admin.token, ["order.placed"]);
    receiver.answer = (n) => (n === 0 ? 503 : 200);
    routeFetchTo(receiver);
    const { deliveryId } = await pendingDelivery(endpoint.id);
    const now = Date.now();
    expect(await attemptDelivery(env, deliveryId, now)).toMatchObject({ kind: "retry", delaySeconds: RETRY_DELAYS_SECONDS[0] });
    expect(await attemptDelivery(env, deliveryId, now + 1_000)).toEqual({ kind: "skipped" });
    const later = now + RETRY_DELAYS_SECONDS[0]! * 1000;
    const outcomes = await Promise.all([attemptDelivery(env, deliveryId, later), attemptDelivery(env, deliveryId, later)]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(["skipped", "succeeded"]);
    expect(receiver.receipts).toHaveLength(2);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: "succeeded", attempts: 2, last_status_code: 200 });
  });

  it("counts a redirect as a failure and never follows it", async () => {
    const { endpoint, receiver } = await createEndpoint(admin.token, ["order.placed"]);
    receiver.answer = () => 302;
    const fetchSpy = routeFetchTo(receiver);
    const { deliveryId } = await pendingDelivery(endpoint.id);
    expect(await attemptDelivery(env, deliveryId)).toMatchObject({ kind: "retry", statusCode: 302 });
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    expect((await deliveryRow(deliveryId))!.last_error).toMatch(/redirects are not followed/);
  });
});

describe("the SSRF guard at sending time", () => {
  it("ends a delivery dead without any request when the stored URL is not allowed (e.g. written before the policy)", async () => {
    const { endpoint } = await createEndpoint(admin.token, ["order.placed"]);
    await env.DB.prepare("UPDATE webhook_endpoints SET url = 'https://169.254.169.254/latest/meta-data/' WHERE id = ?").bind(endpoint.id).run();
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const { deliveryId } = await pendingDelivery(endpoint.id);
    expect(await attemptDelivery(env, deliveryId)).toMatchObject({ kind: "dead", reason: expect.stringMatching(/^URL refused/) });
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: "dead", attempts: 0 });
  });
});

describe("POST /api/v1/admin/webhooks/deliveries/{id}/redeliver", () => {
  it("sends a dead delivery again with the same webhook-id and body once the receiver is fixed", async () => {
    const { endpoint, receiver } = await createEndpoint(admin.token, ["order.placed"]);
    receiver.answer = () => 500;
    routeFetchTo(receiver);
    const { deliveryId, eventId } = await pendingDelivery(endpoint.id);
    let clock = Date.now();
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await attemptDelivery(env, deliveryId, clock);
      clock += 11 * 3_600_000; // each retry is due within 10 h; all of them within the 5-day disable limit
    }
    expect((await deliveryRow(deliveryId))!.status).toBe("dead");

    receiver.answer = () => 200;
    outboundBreakers.reset(); // the receiver is fixed and its circuit's cool-down has passed
    const res = await call("POST", `/api/v1/admin/webhooks/deliveries/${deliveryId}/redeliver`, { token: admin.token });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ id: deliveryId, status: "pending" });
    await vi.waitFor(() => expect(receiver.receipts).toHaveLength(MAX_ATTEMPTS + 1), { timeout: 15_000, interval: 200 });
    const last = receiver.receipts.at(-1)!;
    expect(last.webhookId).toBe(eventId);
    expect(last.body).toBe(receiver.receipts[0]!.body);
    await vi.waitFor(async () => expect(await deliveryRow(deliveryId)).toMatchObject({ status: "succeeded", attempts: 1, last_status_code: 200 }));
  });

  it("answers 404 for an unknown delivery and 409 while its endpoint is disabled", async () => {
    const { endpoint } = await createEndpoint(admin.token, ["order.placed"]);
    const { deliveryId } = await pendingDelivery(endpoint.id);
    expect((await call("POST", "/api/v1/admin/webhooks/deliveries/whd_nope/redeliver", { token: admin.token })).status).toBe(404);
    await call("PATCH", `/api/v1/admin/webhooks/${endpoint.id}`, { token: admin.token, body: { status: "disabled" } });
    const res = await call("POST", `/api/v1/admin/webhooks/deliveries/${deliveryId}/redeliver`, { token: admin.token });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe("INVALID_STATE");
  });
});

describe("POST /api/v1/admin/webhooks/{id}/rotate-secret", () => {
  it("signs with both the old and the new secret during the grace period, and only the new one after it", async () => {
    const { endpoint, receiver } = await createEndpoint(admin.token, ["order.placed"]);
    const oldSecret = endpoint.secret;
    const rotated = await call("POST", `/api/v1/admin/webhooks/${endpoint.id}/rotate-secret`, { token: admin.token, body: { gracePeriodSeconds: 3600 } });
    expect(rotated.status).toBe(200);
    const newSecret = rotated.json.secret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    expect(Date.parse(rotated.json.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(3_590_000);
    receiver.secrets = [oldSecret, newSecret];
    routeFetchTo(receiver);

    const during = await pendingDelivery(endpoint.id);
    expect(await attemptDelivery(env, during.deliveryId)).toMatchObject({ kind: "succeeded" });
    const duringReceipt = receiver.receipts.find((r) => r.webhookId === during.eventId)!;
    expect(duringReceipt.verifiedBy.sort()).toEqual([oldSecret, newSecret].sort());

    const after = await pendingDelivery(endpoint.id);
    expect(await attemptDelivery(env, after.deliveryId, Date.now() + 3_601_000)).toMatchObject({ kind: "succeeded" });
    const afterReceipt = receiver.receipts.find((r) => r.webhookId === after.eventId)!;
    expect(afterReceipt.verifiedBy).toEqual([newSecret]);
  });
});

describe("an endpoint that keeps failing", () => {
  it("is disabled once it has failed for the configured time, and every admin gets an email", async () => {
    const { endpoint, receiver } = await createEndpoint(admin.token, ["order.placed"]);
    receiver.answer = () => 500;
    routeFetchTo(receiver);
    const start = Date.now();
    const first = await pendingDelivery(endpoint.id);
    await attemptDelivery(env, first.deliveryId, start);
    const stillEnabled = await call("GET", `/api/v1/admin/webhooks/${endpoint.id}`, { token: admin.token });
    expect(stillEnabled.json).toMatchObject({ status: "enabled", failingSince: new Date(start).toISOString() });

    const limitMs = getConfig(env).WEBHOOK_DISABLE_AFTER_SECONDS * 1000;
    const second = await pendingDelivery(endpoint.id);
    await attemptDelivery(env, second.deliveryId, start + limitMs + 1);

    const disabled = await call("GET", `/api/v1/admin/webhooks/${endpoint.id}`, { token: admin.token });
    expect(disabled.json).toMatchObject({ status: "disabled", disabledReason: "failing" });
    const emails = await env.DB.prepare("SELECT to_address FROM email_outbox WHERE template = 'webhook_endpoint_disabled' AND json_extract(payload, '$.endpointId') = ?")
      .bind(endpoint.id)
      .all<{ to_address: string }>();
    const admins = await env.DB.prepare("SELECT email FROM users WHERE role = 'ADMIN'").all<{ email: string }>();
    expect(emails.results.map((e) => e.to_address).sort()).toEqual(admins.results.map((a) => a.email).sort());

    // Nothing more is sent to a disabled endpoint; enabling it again clears its failure record.
    const third = await pendingDelivery(endpoint.id);
    expect(await attemptDelivery(env, third.deliveryId, start + limitMs + 2)).toMatchObject({ kind: "dead", reason: "endpoint disabled" });
    expect(receiver.receipts).toHaveLength(2);
    const enabled = await call("PATCH", `/api/v1/admin/webhooks/${endpoint.id}`, { token: admin.token, body: { status: "enabled" } });
    expect(enabled.json).toMatchObject({ status: "enabled", disabledReason: null, failingSince: null });
  });

  it("is healthy again after one success: the failure clock starts over", async () => {
    const { endpoint, receiver } = await createEndpoint(admin.token, ["order.placed"]);
    receiver.answer = (n) => (n === 0 ? 500 : 200);
    routeFetchTo(receiver);
    const start = Date.now();
    const { deliveryId } = await pendingDelivery(endpoint.id);
    await attemptDelivery(env, deliveryId, start);
    await attemptDelivery(env, deliveryId, start + RETRY_DELAYS_SECONDS[0]! * 1000);
    const res = await call("GET", `/api/v1/admin/webhooks/${endpoint.id}`, { token: admin.token });
    expect(res.json).toMatchObject({ status: "enabled", failingSince: null });
  });
});
