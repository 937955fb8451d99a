/**
 * Consumer of `order-events`. On `order.placed` it records co-purchase scores, then runs the
 * `onOrderPlaced` hooks; on `order.status_changed` it fans out the webhook events the change wrote.
 * Every step is idempotent, so a retried or redelivered message has one effect.
 */
import { z } from "zod";
import { createLogger } from "../http/logger";
import { recordOrderPlacedMetric } from "../modules/analytics/order-metrics";
import { enqueueOrderConfirmation } from "../modules/notifications/service";
import { recordCoPurchases } from "../modules/recommendations/service";
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

const OrderEvent = z.object({ type: z.string(), orderId: z.string().min(1).max(64).optional(), requestId: z.string().max(128).optional() });

/** Applies one order event; throws on a failure worth retrying. Returns what it did. */
export async function processOrderEvent(env: Env, body: unknown): Promise<"applied" | "ignored"> {
  const parsed = OrderEvent.safeParse(body);
  const log = createLogger({ consumer: "order-events" });
  if (parsed.success && parsed.data.type === "order.status_changed") {
    await dispatchPendingEvents(env);
    return "applied";
  }
  if (!parsed.success || parsed.data.type !== "order.placed" || !parsed.data.orderId) {
    log.warn("order_event_ignored", { type: parsed.success ? parsed.data.type.slice(0, 64) : "invalid" });
    return "ignored";
  }
  const { orderId, requestId } = parsed.data;
  await recordCoPurchases(env, orderId);
  for (const hook of onOrderPlaced) await hook(env, orderId, requestId);
  return "applied";
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
