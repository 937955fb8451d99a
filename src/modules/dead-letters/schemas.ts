import * as z from "zod";
import { PageQuery } from "../../http/openapi";

/** Queues whose exhausted messages are kept here; each is also where a replay sends the message. */
export const DEAD_LETTER_QUEUES = ["email-bulk", "order-events", "email-dlq"] as const;
export type DeadLetterQueue = (typeof DEAD_LETTER_QUEUES)[number];

export const DeadLetterListQuery = PageQuery.extend({
  queue: z.enum(DEAD_LETTER_QUEUES).optional(),
  status: z.enum(["open", "replayed"]).optional().openapi({ description: "`open`: not replayed yet" }),
});

export const DeadLetter = z
  .object({
    id: z.string(),
    queue: z.string().openapi({ description: "The queue the message failed on; a replay sends it there again" }),
    body: z.unknown().openapi({ description: "The message body as it was sent (campaign pages and order events carry ids, no personal data)" }),
    reason: z.string(),
    createdAt: z.string(),
    replayedAt: z.string().nullable(),
  })
  .openapi("DeadLetter");

export const DeadLetterCursor = z.object({ c: z.number().int(), id: z.string() });
export const DeadLetterIdParam = z.object({ id: z.string().min(1).max(64) });
