/**
 * Dispatches a batch to the consumer of its queue. Each consumer handles one message at a time and
 * acks or retries it itself; a queue without a consumer here retries, so nothing is dropped.
 */
import { createLogger } from "../lib/log";
import { consumeOrderEventDeadLetters } from "./dead-letters";
import { consumeEmailBatch, consumeEmailDeadLetters } from "./email";
import { inventorySyncConsumer } from "./inventory-sync";
import { consumeOrderEvents } from "./order-events";
import { consumeWebhooks } from "./webhooks";

export type QueueConsumer = (batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext) => Promise<void>;

/** Queue name (as in wrangler.toml) → consumer. Areas register theirs here. */
export const consumers: Record<string, QueueConsumer> = {
  "email-critical": consumeEmailBatch,
  "email-bulk": consumeEmailBatch,
  "email-dlq": consumeEmailDeadLetters,
  "inventory-sync": inventorySyncConsumer,
  "order-events": consumeOrderEvents,
  "order-events-dlq": consumeOrderEventDeadLetters,
  webhooks: consumeWebhooks,
};

export async function handleQueueBatch(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const consumer = consumers[batch.queue];
  if (!consumer) {
    createLogger().error("queue_without_consumer", { queue: batch.queue, messages: batch.messages.length });
    batch.retryAll({ delaySeconds: 60 });
    return;
  }
  await consumer(batch, env, ctx);
}
