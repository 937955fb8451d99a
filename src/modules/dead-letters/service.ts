/**
 * The dead-letter store: queue messages that exhausted their retries and have no row of their own
 * to end in (a campaign page, an order event) are recorded here by the dead-letter consumers, so
 * none is lost. Admins list them and replay one onto the queue it failed on; the consumers are
 * idempotent, so a replay of work that partly happened has one effect.
 */
import { invalidState, notFound } from "../../lib/errors";
import { createLogger } from "../../lib/log";
import { newId } from "../../lib/ids";
import { writeBusinessEvent } from "../analytics/events";
import * as repo from "./repo";
import type { DeadLetterQueue } from "./schemas";

/**
 * Where a replay sends a message: the queue it failed on. (Outbox messages of `email-critical` end
 * in their outbox row instead; `email-dlq` keeps bodies of unknown origin, which cannot be replayed.)
 */
const PRODUCERS: Partial<Record<DeadLetterQueue, (env: Env) => Queue>> = {
  "email-bulk": (env) => env.EMAIL_BULK,
  "order-events": (env) => env.ORDER_EVENTS,
};

export type DeadLetterInput = { queue: DeadLetterQueue; messageId: string; body: unknown; reason: string };

/** Keeps a dead message (once per message id), logs it and counts it. */
export async function recordDeadLetter(env: Env, input: DeadLetterInput, now = Date.now()): Promise<boolean> {
  const recorded = await repo.insertDeadLetter(env.DB, {
    id: newId("dlt", now),
    queue: input.queue,
    messageId: input.messageId.slice(0, 128),
    body: input.body ?? null,
    reason: input.reason.slice(0, 500),
    createdAt: now,
  });
  createLogger({ queue: input.queue }).error("message_dead_lettered", { messageId: input.messageId.slice(0, 128), reason: input.reason, recorded });
  if (recorded) writeBusinessEvent(env.ANALYTICS, "message_dead_lettered", { detail: input.queue });
  return recorded;
}

export function listDeadLetters(
  env: Env,
  filter: { queue?: DeadLetterQueue; status?: "open" | "replayed" },
  after: { createdAt: number; id: string } | null,
  limit: number,
) {
  return repo.listDeadLetters(env.DB, filter, after, limit);
}

/** Admin: sends a dead message again onto its queue, once; answers 409 when it was replayed already. */
export async function replayDeadLetter(env: Env, id: string, now = Date.now()): Promise<repo.DeadLetterRow> {
  const existing = await repo.findDeadLetter(env.DB, id);
  if (!existing) throw notFound("Dead letter");
  const producer = PRODUCERS[existing.queue as DeadLetterQueue];
  if (!producer) throw invalidState(`Messages of ${existing.queue} have no queue to be replayed on`, { queue: existing.queue });
  const claimed = await repo.claimReplay(env.DB, id, now);
  if (!claimed) throw invalidState("This dead letter was replayed already", { replayedAt: existing.replayedAt });
  try {
    await producer(env).send(claimed.body, { contentType: "json" });
  } catch (error) {
    await repo.releaseReplay(env.DB, id, now);
    throw error;
  }
  createLogger({ queue: claimed.queue }).info("dead_letter_replayed", { id });
  return claimed;
}
