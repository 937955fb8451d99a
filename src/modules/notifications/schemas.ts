import * as z from "zod";
import { PageQuery } from "../../http/openapi";

export const EmailStatus = z.enum(["pending", "sending", "sent", "dead"]);

export const EmailListQuery = PageQuery.extend({ status: EmailStatus.optional() });

export const OutboxEmail = z
  .object({
    id: z.string(),
    template: z.string(),
    priority: z.enum(["critical", "bulk"]),
    status: EmailStatus,
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    requestId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    sentAt: z.string().nullable(),
  })
  .openapi("OutboxEmail");

export const EmailCursor = z.object({ u: z.number().int(), id: z.string() });

export const CampaignBody = z
  .object({ subject: z.string().trim().min(1).max(200), body: z.string().trim().min(1).max(20_000) })
  .strict()
  .openapi("CampaignBody");

export const MarketingPreference = z.object({ marketingOptIn: z.boolean() }).strict().openapi("MarketingPreference");

export const CircuitBreaker = z
  .object({
    name: z.string(),
    state: z.enum(["closed", "open", "half_open"]),
    consecutiveFailures: z.number().int(),
    openUntil: z.string().nullable(),
  })
  .openapi("CircuitBreaker");
