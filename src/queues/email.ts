/**
 * Consumers of `email-critical`, `email-bulk` and `email-dlq`: parse, call the notifications
 * service, ack or retry per message. After max_retries Queues moves a message to `email-dlq`.
 */
import { z } from "zod";
import { createLogger } from "../http/logger";
import { BreakerOpenError } from "../lib/circuit-breaker";
import { runCampaignPage, CampaignMessage } from "../modules/notifications/campaigns";
import { deadLetter, deliverOutboxEmail } from "../modules/notifications/service";
import { retryDelaySeconds } from "./backoff";

const EmailMessage = z.object({ outboxId: z.string().min(1), requestId: z.string().optional() });

export async function processEmailMessage(env: Env, message: Message<unknown>): Promise<void> {
  const campaign = CampaignMessage.safeParse(message.body);
  if (campaign.success) {
    await runCampaignPage(env, campaign.data);
    message.ack();
    return;
  }
  const parsed = EmailMessage.safeParse(message.body);
  if (!parsed.success) {
    createLogger().error("email_message_invalid", { id: message.id });
    message.ack(); // a malformed message never becomes valid; retrying it only delays the queue
    return;
  }
  try {
    await deliverOutboxEmail(env, parsed.data.outboxId);
    message.ack();
  } catch (error) {
    const delaySeconds =
      error instanceof BreakerOpenError ? Math.max(1, Math.ceil(error.retryInMs / 1000)) : retryDelaySeconds(message.attempts);
    message.retry({ delaySeconds });
  }
}

export async function consumeEmailBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  // One at a time: sending is throttled by the provider, and each message settles on its own.
  for (const message of batch.messages) await processEmailMessage(env, message);
}

export async function consumeEmailDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const parsed = EmailMessage.safeParse(message.body);
    if (parsed.success) await deadLetter(env, parsed.data.outboxId);
    message.ack();
  }
}
