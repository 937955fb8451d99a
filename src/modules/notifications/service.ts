/**
 * The outbox: emails are rows first (written with the change that causes them), messages second.
 * Delivery claims the row, sends through the provider behind a circuit breaker, and marks it
 * sent; failures go back to pending for the queue's retry, and the dead-letter queue ends them.
 */
import { getDb } from "../../db/client";
import { writeBusinessEvent } from "../analytics/events";
import { getConfig } from "../../env";
import { notFound } from "../../http/errors";
import { createLogger } from "../../http/logger";
import { outboundBreakers } from "../outbound/breakers";
import { getEmailProvider } from "./providers";
import { renderOutboxEmail, UnrenderableEmailError } from "./render";
import * as repo from "./repo";

/** A sender silent this long is presumed dead and its row may be taken again. */
export const SENDING_LEASE_MS = 5 * 60_000;
/** A pending row untouched this long had its message lost; the sweep sends it again. */
export const PENDING_REENQUEUE_AFTER_MS = 2 * 60_000;
const SWEEP_LIMIT = 200;


export type EmailMessage = { outboxId: string; requestId?: string };
export type DeliveryResult = "sent" | "skipped";

/** Sends one outbox email at most once; throws on a retryable failure (the row is pending again). */
export async function deliverOutboxEmail(env: Env, outboxId: string, now = Date.now()): Promise<DeliveryResult> {
  const db = getDb(env.DB);
  const row = await repo.claimForSending(db, outboxId, now, SENDING_LEASE_MS);
  if (!row) return "skipped"; // sent, dead, unknown, or another delivery holds it
  const config = getConfig(env);
  const provider = getEmailProvider(config);
  const logger = createLogger({ requestId: row.requestId ?? undefined, outboxId: row.id, template: row.template });
  try {
    const email = await renderOutboxEmail(db, row);
    await outboundBreakers.run(`email:${provider.name}`, () =>
      provider.send({ ...email, to: row.toAddress, from: config.EMAIL_FROM, idempotencyKey: row.id }),
    );
    await repo.markSent(db, row.id, Date.now());
    logger.info("email_sent", { attempts: row.attempts, provider: provider.name });
    return "sent";
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : "unknown error";
    if (error instanceof UnrenderableEmailError) {
      await repo.markDead(db, row.id, Date.now(), reason);
      logger.error("email_dead", { reason: error.message });
      return "skipped";
    }
    await repo.releaseAfterFailure(db, row.id, Date.now(), reason);
    logger.warn("email_send_failed", { attempts: row.attempts, reason: error instanceof Error ? error.name : "unknown" });
    throw error;
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

/** The dead-letter consumer's work: the row ends as dead with its last error, unless it was sent. */
export async function deadLetter(env: Env, outboxId: string, now = Date.now()) {
  const changed = await repo.markDead(getDb(env.DB), outboxId, now, null);
  createLogger({ outboxId }).error("email_dead_lettered", { changed });
  writeBusinessEvent(env.ANALYTICS, "email_dead_lettered", { subjectId: outboxId });
}

/** Cron: re-enqueue rows whose message was lost or whose sender crashed. */
export async function sweepStuckOutbox(env: Env, now = Date.now()) {
  const db = getDb(env.DB);
  const stuck = await repo.findStuck(db, now, PENDING_REENQUEUE_AFTER_MS, SENDING_LEASE_MS, SWEEP_LIMIT);
  if (stuck.length === 0) return { reenqueued: 0 };
  await repo.touchRows(db, stuck.map((r) => r.id), now);
  await enqueueOutbox(env, stuck);
  return { reenqueued: stuck.length };
}

/** Admin: a dead (or pending) email starts over with fresh attempts. */
export async function retryEmail(env: Env, id: string, now = Date.now()) {
  const row = await repo.resetForRetry(getDb(env.DB), id, now);
  if (!row) throw notFound("Retryable email");
  await enqueueOutbox(env, [row]);
  return row;
}

export function listEmails(env: Env, status: repo.OutboxStatus | undefined, after: { updatedAt: number; id: string } | null, limit: number) {
  return repo.listOutbox(getDb(env.DB), status, after, limit);
}

/** Puts the outbox row with this dedupe key on its queue, if it still waits to be sent. */
export async function enqueuePendingEmail(env: Env, dedupeKey: string) {
  const row = await repo.findOutboxRowByDedupeKey(getDb(env.DB), dedupeKey);
  // Sent or dead rows need nothing; a pending one may be enqueued twice harmlessly (claim-once send).
  if (row?.status === "pending") await enqueueOutbox(env, [row]);
}

/** order-events fan-out: put the order's confirmation email (written at finalize) on its queue. */
export function enqueueOrderConfirmation(env: Env, orderId: string) {
  return enqueuePendingEmail(env, `order_confirmation:${orderId}`);
}
