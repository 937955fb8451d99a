import * as z from "zod";
import { WEBHOOK_DELIVERY_STATUSES } from "../../db/enums";
import { PageQuery } from "../../http/openapi";
import { WEBHOOK_EVENT_TYPES } from "./events";

export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES).openapi("WebhookEventType");

const events = z
  .array(WebhookEventType)
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((list) => new Set(list).size === list.length, "events must not repeat")
  .openapi({ description: "Event types this endpoint receives" });
const url = z.string().url().max(2048).openapi({ example: "https://erp.example.com/hooks/edgeshop", description: "https:// to a public host (SSRF guard)" });
const description = z.string().trim().max(500);

export const CreateWebhookBody = z
  .object({ url, events, description: description.optional() })
  .strict()
  .openapi("CreateWebhookBody");
export type CreateWebhookBody = z.infer<typeof CreateWebhookBody>;

export const UpdateWebhookBody = z
  .object({
    url: url.optional(),
    events: events.optional(),
    description: description.nullable().optional(),
    status: z.enum(["enabled", "disabled"]).optional().openapi({ description: "Enable or disable; enabling clears the failure record" }),
  })
  .strict()
  .refine((patch) => Object.values(patch).some((v) => v !== undefined), "nothing to change")
  .openapi("UpdateWebhookBody");
export type UpdateWebhookBody = z.infer<typeof UpdateWebhookBody>;

export const RotateSecretBody = z
  .object({
    gracePeriodSeconds: z.number().int().min(0).max(7 * 86_400).optional().openapi({ description: "How long the old secret keeps signing (default from config, 24 h)" }),
  })
  .strict()
  .openapi("RotateSecretBody");

export const WebhookEndpoint = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(WebhookEventType),
    status: z.enum(["enabled", "disabled"]),
    disabledReason: z.string().nullable().openapi({ description: '"manual", or "failing" when disabled automatically' }),
    failingSince: z.string().nullable(),
    previousSecretExpiresAt: z.string().nullable().openapi({ description: "Until then the previous secret also signs" }),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("WebhookEndpoint");
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

const secret = z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/).openapi({ description: "The signing secret. Shown once; keep it in the receiver." });
export const CreatedWebhookEndpoint = WebhookEndpoint.extend({ secret }).openapi("CreatedWebhookEndpoint");
export const RotatedSecret = z.object({ id: z.string(), secret, previousSecretExpiresAt: z.string().nullable() }).openapi("RotatedWebhookSecret");
export const TestPingResult = z.object({ eventId: z.string(), deliveryId: z.string() }).openapi("WebhookTestPing");

export const WebhookDelivery = z
  .object({
    id: z.string(),
    eventId: z.string().openapi({ description: "Also the `webhook-id` header: stable across retries and redeliveries" }),
    type: z.string(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("WebhookDelivery");
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const DeliveryQuery = PageQuery.extend({ status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional() });
export const WebhookIdParam = z.object({ id: z.string().min(1).max(64) });
export const Redelivery = z.object({ id: z.string(), status: z.literal("pending") }).openapi("WebhookRedelivery");

/** What every delivery POSTs (documented under the OpenAPI `webhooks` section). */
export const WebhookPayload = z
  .object({
    id: z.string().openapi({ description: "Event id, equal to the webhook-id header" }),
    type: z.union([WebhookEventType, z.literal("ping")]),
    timestamp: z.string().openapi({ description: "When the event happened (ISO 8601)" }),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi("WebhookPayload");
