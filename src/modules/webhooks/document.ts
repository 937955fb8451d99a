/**
 * The OpenAPI 3.1 `webhooks` section: what each outbound event POSTs to an endpoint, with the
 * Standard Webhooks headers, so the typed SDK also types the payloads receivers get.
 */
import { PING_EVENT, WEBHOOK_EVENT_TYPES } from "./events";

const HEADERS = [
  { name: "webhook-id", description: "The event id; the same on every retry and redelivery (drop duplicates by it)" },
  { name: "webhook-timestamp", description: "Unix seconds when this attempt was signed (reject old ones)" },
  { name: "webhook-signature", description: 'Space-separated "v1,<base64 HMAC-SHA256 of id.timestamp.body>", one per valid secret' },
];

export function webhooksSection() {
  return Object.fromEntries(
    [...WEBHOOK_EVENT_TYPES, PING_EVENT].map((type) => [
      type,
      {
        post: {
          operationId: `webhook${type.split(/[._]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("")}`,
          summary: type === PING_EVENT ? "Sent by POST /api/v1/admin/webhooks/{id}/test" : `Sent when ${type.replace(".", " ").replace("_", " ")}`,
          tags: ["Webhooks (outbound)"],
          security: [],
          parameters: HEADERS.map((h) => ({ in: "header", required: true, schema: { type: "string" }, ...h })),
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/WebhookPayload" } } } },
          responses: {
            "2XX": { description: "Received; any 2xx ends the delivery" },
            "4XX": { description: "Counted as a failure and retried (as is every non-2xx, timeout or redirect)" },
          },
        },
      },
    ]),
  );
}
