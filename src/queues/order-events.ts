/**
 * Consumer of `order-events`. On `order.placed` it records co-purchase scores, then runs the
 * `onOrderPlaced` hooks; on `order.status_changed` it fans out the webhook events the change wrote
 * and, to cancelled or refunded, withdraws the order's co-purchase scores. Every step is idempotent and order-independent, so a retried,
 * redelivered or overtaken message has one effect. After max_retries a message goes to
 * `order-events-dlq` and is kept in the dead-letter store.
 */
import * as z from "zod";
import { createLogger } from "../lib/log";
import { recordOrderPlacedMetric } from "../modules/analytics/order-metrics";
import { enqueueOrderConfirmation } from "../modules/notifications/service";
import { recordCoPurchases, withdrawCoPurchases } from "../modules/recommendations/service";
import { dispatchPendingEvents } from "../modules/webhooks";
import { retryDelaySeconds } from "./backoff";

export type OrderPlacedHook = (env: Env, orderId: string, requestId: string | undefined) => Promise<void>;

/** Further work on a placed order (e.g. the email fan-out). Each hook must be idempotent per order. */
export const onOrderPlaced: OrderPlacedHook[] = [
  (env, orderId) => enqueueOrderConfirmation(env, orderId),
  (env, orderId) => recordOrderPlacedMetric(env, orderId),
  // order.placed was written to the webhook outbox in the order's own batch; this fans it out.
  async (env) => void (await dispatchPendingEvents(env)),
];

const OrderEvent = z.object({
  type: z.string(),
  orderId: z.string().min(1).max(64).optional(),
  status: z.string().max(32).optional(),
  requestId: z.string().max(128).nullish(),
});

/** Statuses that end an order: what it added to the co-purchase scores is taken back. */
const ENDED = new Set(["cancelled", "refunded"]);

/** Applies one order event; throws on a failure worth retrying. Returns what it did. */
export async function processOrderEvent(env: Env, body: unknown): Promise<"applied" | "ignored"> {
  const parsed = OrderEvent.safeParse(body);
  const event = parsed.success && parsed.data.orderId ? { ...parsed.data, orderId: parsed.data.orderId } : null;
  if (event?.type === "order.placed") {
    await recordCoPurchases(env, event.orderId);
    for (const hook of onOrderPlaced) await hook(env, event.orderId, event.requestId ?? undefined);
    return "applied";
  }
  if (event?.type === "order.status_changed") {
    await dispatchPendingEvents(env);
    if (ENDED.has(event.status ?? "")) await withdrawCoPurchases(env, event.orderId);
    return "applied";
  }
  createLogger({ consumer: "order-events" }).warn("order_event_ignored", { type: parsed.success ? parsed.data.type.slice(0, 64) : "invalid" });
  return "ignored";
}

export async function consumeOrderEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    try {
      await processOrderEvent(env, message.body);
      message.ack();
    } catch (error) {
      createLogger({ consumer: "order-events" }).error("order_event_failed", {
        id: message.id,
        attempts: message.attempts,
        error: error instanceof Error ? error.name : typeof error,
      });
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
