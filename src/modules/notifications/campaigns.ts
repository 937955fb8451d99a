/**
 * Promotional campaigns: an admin starts one; the bulk queue walks opted-in customers a page at
 * a time, writes one outbox row each (deduplicated per campaign and customer), and enqueues the
 * next page — so a campaign of any size never runs inside one request, and is throttled by the
 * bulk queue's small batches and concurrency.
 */
import * as z from "zod";
import { newId } from "../../lib/ids";
import * as repo from "./repo";
import { enqueueOutbox } from "./service";

const PAGE_SIZE = 100;

export const CampaignMessage = z.object({
  type: z.literal("campaign"),
  campaignId: z.string(),
  subject: z.string(),
  body: z.string(),
  afterUserId: z.string().nullable(),
  requestId: z.string().optional(),
});
export type CampaignMessage = z.infer<typeof CampaignMessage>;

export async function startCampaign(env: Env, input: { subject: string; body: string }, requestId: string) {
  const campaignId = newId("eml").replace("eml_", "cmp_");
  const message: CampaignMessage = { type: "campaign", campaignId, ...input, afterUserId: null, requestId };
  await env.EMAIL_BULK.send(message, { contentType: "json" });
  return { campaignId };
}

/** One page of a campaign: outbox rows for up to PAGE_SIZE opted-in customers, then the next page. */
export async function runCampaignPage(env: Env, message: CampaignMessage, now = Date.now()) {
  const recipients = await repo.listCampaignRecipients(env.DB, message.afterUserId, PAGE_SIZE);
  const inserted = await repo.insertOutboxRows(
    env.DB,
    recipients.map((r) => ({
      id: newId("eml", now),
      template: "promotion",
      toAddress: r.email,
      payload: { subject: message.subject, body: message.body, name: r.name },
      priority: "bulk" as const,
      status: "pending" as const,
      dedupeKey: `campaign:${message.campaignId}:${r.id}`,
      requestId: message.requestId ?? null,
      createdAt: now,
      updatedAt: now,
    })),
  );
  await enqueueOutbox(env, inserted);
  if (recipients.length === PAGE_SIZE) {
    await env.EMAIL_BULK.send({ ...message, afterUserId: recipients.at(-1)!.id }, { contentType: "json" });
  }
  return { recipients: recipients.length, queued: inserted.length };
}
