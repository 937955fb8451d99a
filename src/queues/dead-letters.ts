/**
 * Consumer of `order-events-dlq`: an order event that exhausted its retries (co-purchase scores,
 * the confirmation email fan-out, metrics) is kept in the dead-letter store for an admin to list
 * and replay, instead of being dropped.
 */
import { retryDelaySeconds } from "./backoff";
import { recordDeadLetter } from "../modules/dead-letters/service";

export async function consumeOrderEventDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    try {
      await recordDeadLetter(env, { queue: "order-events", messageId: message.id, body: message.body, reason: "retries exhausted" });
      message.ack();
    } catch {
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
