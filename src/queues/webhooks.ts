/**
 * Consumer of `webhooks`: `dispatch` messages fan out pending events, `deliver` messages make one
 * attempt. A failed attempt comes back after the delay D1 scheduled (message.retry delaySeconds).
 * Messages of a batch run in parallel: one slow receiver must not hold up the others.
 */
import * as z from "zod";
import { createLogger } from "../lib/log";
import { attemptDelivery } from "../modules/webhooks/delivery";
import { dispatchPendingEvents } from "../modules/webhooks/dispatch";
import { retryDelaySeconds } from "./backoff";

const WebhookMessage = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("dispatch") }),
  z.object({ kind: z.literal("deliver"), deliveryId: z.string().min(1).max(64) }),
]);

export async function processWebhookMessage(env: Env, message: Message<unknown>): Promise<void> {
  const parsed = WebhookMessage.safeParse(message.body);
  if (!parsed.success) {
    createLogger({ consumer: "webhooks" }).error("webhook_message_invalid", { id: message.id });
    message.ack(); // a malformed message never becomes valid
    return;
  }
  try {
    if (parsed.data.kind === "dispatch") {
      await dispatchPendingEvents(env);
      message.ack();
      return;
    }
    const outcome = await attemptDelivery(env, parsed.data.deliveryId);
    if (outcome.kind === "retry") message.retry({ delaySeconds: outcome.delaySeconds });
    else message.ack();
  } catch (error) {
    // Our own fault (D1, queue): try again soon; the delivery row is unchanged or still leased.
    createLogger({ consumer: "webhooks" }).error("webhook_message_failed", { id: message.id, error: error instanceof Error ? error.name : typeof error });
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  }
}

export async function consumeWebhooks(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(batch.messages.map((message) => processWebhookMessage(env, message)));
}
