/**
 * Consumers of `email-critical`, `email-bulk` and `email-dlq`: parse, call the notifications
 * service, ack or retry per message. After max_retries Queues moves a message to `email-dlq`,
 * where an outbox message ends its row dead and any other message (a campaign page) is kept in
 * the dead-letter store for an admin to replay.
 */
import * as z from "zod";
import { createLogger } from "../lib/log";
import { retryDelaySeconds } from "./backoff";
import { recordDeadLetter } from "../modules/dead-letters/service";
import { runCampaignPage, CampaignMessage } from "../modules/notifications/campaigns";
import { deadLetter, deliverOutboxEmail, EmailRetryScheduled } from "../modules/notifications/service";

const EmailMessage = z.object({ outboxId: z.string().min(1), requestId: z.string().optional() });

export async function processEmailMessage(env: Env, message: Message<unknown>): Promise<void> {
  const campaign = CampaignMessage.safeParse(message.body);
  const email = EmailMessage.safeParse(message.body);
  if (!campaign.success && !email.success) {
    createLogger().error("email_message_invalid", { id: message.id });
    message.ack(); // a malformed message never becomes valid; retrying it only delays the queue
    return;
  }
  try {
    if (campaign.success) await runCampaignPage(env, campaign.data);
    else if (email.success) await deliverOutboxEmail(env, email.data.outboxId, message.attempts);
    message.ack();
  } catch (error) {
    // The service has recorded when the retry is due; the queue must deliver it then.
    const delaySeconds = error instanceof EmailRetryScheduled ? error.delaySeconds : retryDelaySeconds(message.attempts);
    if (!(error instanceof EmailRetryScheduled)) {
      createLogger().error("email_message_failed", { id: message.id, campaign: campaign.success, error: error instanceof Error ? error.name : typeof error });
    }
    message.retry({ delaySeconds });
  }
}

export async function consumeEmailBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  // One at a time: sending is throttled by the provider, and each message settles on its own.
  for (const message of batch.messages) await processEmailMessage(env, message);
}

/** Which queue a dead email message came from: only campaign pages are sent to email-bulk bare. */
const originOf = (body: unknown) => (CampaignMessage.safeParse(body).success ? "email-bulk" : "email-dlq");

export async function consumeEmailDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    try {
      const parsed = EmailMessage.safeParse(message.body);
      if (parsed.success) await deadLetter(env, parsed.data.outboxId);
      else await recordDeadLetter(env, { queue: originOf(message.body), messageId: message.id, body: message.body, reason: "retries exhausted" });
      message.ack();
    } catch {
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
