/**
 * The outbox: emails are rows first (written with the change that causes them), messages second.
 * Delivery claims the row, sends through the provider behind a circuit breaker, and marks it
 * sent. A transient failure goes back to pending with the time its queue retry is due; an email
 * that can never be sent (unrenderable, or refused by the provider with a 4xx) ends dead at once;
 * the dead-letter queue ends the rest.
 */
import { writeBusinessEvent } from "../analytics/events";
import { getConfig } from "../../env";
import { notFound } from "../../lib/errors";
import { createLogger, type Logger } from "../../lib/log";
import { retryDelaySeconds } from "../../lib/backoff";
import { BreakerOpenError } from "../../lib/circuit-breaker";
import { outboundBreakers } from "../outbound/breakers";
import { getEmailProvider, ProviderError, type EmailProvider, type OutgoingEmail } from "./providers";
import { renderOutboxEmail, UnrenderableEmailError } from "./render";
import * as repo from "./repo";

/** A sender silent this long is presumed dead and its row may be taken again. */
export const SENDING_LEASE_MS = 5 * 60_000;
/**
 * How long past its due time a pending row's message may be late before the sweep presumes it
 * lost and sends another: the first message is due when the row is written, a retry when the
 * queue's backoff delay ends (up to 15 minutes later).
 */
export const PENDING_REENQUEUE_AFTER_MS = 2 * 60_000;
const SWEEP_LIMIT = 200;

export type EmailMessage = { outboxId: string; requestId?: string };
/** `dead`: the email can never be sent and its row ended dead now; nothing to retry. */
export type DeliveryResult = "sent" | "skipped" | "dead";

/** A transient failure: the row is pending again and its retry is due in `delaySeconds`. */
export class EmailRetryScheduled extends Error {
  constructor(readonly delaySeconds: number, cause: unknown) {
    super(`email send failed; retry in ${delaySeconds} s`, { cause });
    this.name = "EmailRetryScheduled";
  }
}

/**
 * Sends through the provider behind its breaker. A refusal (a 4xx other than 429) comes back as a
 * value, not a throw: the provider answered, so it must not count towards opening the breaker
 * for every other email.
 */
async function sendOrRefusal(provider: EmailProvider, email: OutgoingEmail): Promise<ProviderError | null> {
  return outboundBreakers.run(`email:${provider.name}`, async () => {
    try {
      await provider.send(email);
      return null;
    } catch (error) {
      if (error instanceof ProviderError && !error.retryable) return error;
      throw error;
    }
  });
}

/** Ends a held row dead at once: logged and counted like a dead letter. */
async function giveUp(env: Env, row: repo.OutboxRow, reason: string, cause: string, logger: Logger): Promise<DeliveryResult> {
  await repo.markDeadBySender(env.DB, row.id, Date.now(), reason);
  logger.error("email_dead", { cause, reason: reason.slice(0, 200), attempts: row.attempts });
  writeBusinessEvent(env.ANALYTICS, "email_dead_lettered", { subjectId: row.id, detail: cause });
  return "dead";
}

/**
 * Sends one outbox email at most once. `attempt` is the queue message's delivery count (for the
 * backoff). Throws EmailRetryScheduled on a transient failure (the row is pending again).
 */
export async function deliverOutboxEmail(env: Env, outboxId: string, attempt = 1, now = Date.now()): Promise<DeliveryResult> {
  const row = await repo.claimForSending(env.DB, outboxId, now, SENDING_LEASE_MS);
  if (!row) return "skipped"; // sent, dead, unknown, or another delivery holds it
  const config = getConfig(env);
  const provider = getEmailProvider(config);
  const logger = createLogger({ requestId: row.requestId ?? undefined, outboxId: row.id, template: row.template });
  try {
    const email = await renderOutboxEmail(env.DB, row);
    const refusal = await sendOrRefusal(provider, { ...email, to: row.toAddress, from: config.EMAIL_FROM, idempotencyKey: row.id });
    if (refusal) return await giveUp(env, row, `${refusal.name}: ${refusal.message}`, "provider_refused", logger);
    await repo.markSent(env.DB, row.id, Date.now());
    logger.info("email_sent", { attempts: row.attempts, provider: provider.name });
    return "sent";
  } catch (error) {
    if (error instanceof UnrenderableEmailError) return giveUp(env, row, `${error.name}: ${error.message}`, "unrenderable", logger);
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : "unknown error";
    const delaySeconds = error instanceof BreakerOpenError ? Math.max(1, Math.ceil(error.retryInMs / 1000)) : retryDelaySeconds(attempt);
    const failedAt = Date.now();
    await repo.releaseForRetry(env.DB, row.id, failedAt, failedAt + delaySeconds * 1000, reason);
    logger.warn("email_send_failed", { attempts: row.attempts, delaySeconds, reason: error instanceof Error ? error.name : "unknown" });
    throw new EmailRetryScheduled(delaySeconds, error);
  }
}

/** Puts outbox rows on their queues (critical or bulk by the row's priority). */
export async function enqueueOutbox(env: Env, rows: Pick<repo.OutboxRow, "id" | "priority" | "requestId">[]) {
  const byQueue = { critical: [] as EmailMessage[], bulk: [] as EmailMessage[] };
  for (const row of rows) byQueue[row.priority].push({ outboxId: row.id, requestId: row.requestId ?? undefined });
  for (const [priority, messages] of Object.entries(byQueue)) {
    const queue = priority === "critical" ? env.EMAIL_CRITICAL : env.EMAIL_BULK;
    for (let i = 0; i < messages.length; i += 100) {
      await queue.sendBatch(messages.slice(i, i + 100).map((body) => ({ body, contentType: "json" as const })));
    }
  }
}

/**
 * The dead-letter consumer's work: the row ends dead unless it was sent meanwhile or another copy
 * of its message is sending it right now (that sender decides). Counted only when it changed.
 */
export async function deadLetter(env: Env, outboxId: string, now = Date.now()) {
  const changed = await repo.markDeadIfAbandoned(env.DB, outboxId, now, SENDING_LEASE_MS);
  createLogger({ outboxId }).error("email_dead_lettered", { changed });
  if (changed) writeBusinessEvent(env.ANALYTICS, "email_dead_lettered", { subjectId: outboxId, detail: "retries_exhausted" });
  return changed;
}

/** Cron: re-enqueue rows whose message was lost (overdue past its due time) or whose sender crashed. */
export async function sweepStuckOutbox(env: Env, now = Date.now()) {
  const stuck = await repo.findStuck(env.DB, now, PENDING_REENQUEUE_AFTER_MS, SENDING_LEASE_MS, SWEEP_LIMIT);
  if (stuck.length === 0) return { reenqueued: 0 };
  await repo.touchRows(env.DB, stuck.map((r) => r.id), now);
  await enqueueOutbox(env, stuck);
  return { reenqueued: stuck.length };
}

/** Admin: a dead (or pending) email starts over with fresh attempts. */
export async function retryEmail(env: Env, id: string, now = Date.now()) {
  const row = await repo.resetForRetry(env.DB, id, now);
  if (!row) throw notFound("Retryable email");
  await enqueueOutbox(env, [row]);
  return row;
}

export function listEmails(env: Env, status: repo.OutboxStatus | undefined, after: { updatedAt: number; id: string } | null, limit: number) {
  return repo.listOutbox(env.DB, status, after, limit);
}

/** Puts the outbox row with this dedupe key on its queue, if it still waits to be sent. */
export async function enqueuePendingEmail(env: Env, dedupeKey: string) {
  const row = await repo.findOutboxRowByDedupeKey(env.DB, dedupeKey);
  // Sent or dead rows need nothing; a pending one may be enqueued twice harmlessly (claim-once send).
  if (row?.status === "pending") await enqueueOutbox(env, [row]);
}

/** order-events fan-out: put the order's confirmation email (written at finalize) on its queue. */
export function enqueueOrderConfirmation(env: Env, orderId: string) {
  return enqueuePendingEmail(env, `order_confirmation:${orderId}`);
}
