/** Webhook factories: endpoints made through the admin API, events written the way a business batch writes them. */
import { env } from "cloudflare:test";
import { newId } from "../../src/lib/ids";
import { webhookEventStatements, type WebhookEventType } from "../../src/modules/webhooks/events";
import * as repo from "../../src/modules/webhooks/repo";
import { call } from "../helpers";
import { TestReceiver } from "../webhook-receiver";

let counter = 0;

/** An enabled endpoint at a fresh public URL, with a receiver that knows its secret. */
export async function createEndpoint(adminToken: string, events: WebhookEventType[]) {
  counter += 1;
  const url = `https://hooks${counter}.example.com/edgeshop`;
  const res = await call("POST", "/api/v1/admin/webhooks", { token: adminToken, body: { url, events } });
  if (res.status !== 201) throw new Error(`create endpoint failed: ${res.status} ${res.text}`);
  return { endpoint: res.json as { id: string; secret: string; url: string }, receiver: new TestReceiver(url, [res.json.secret]) };
}

/** Writes one event and fans it out to `endpointId` without enqueueing, so a test drives every attempt itself. */
export async function pendingDelivery(endpointId: string, type: WebhookEventType = "order.placed", data: Record<string, unknown> = { orderId: "ord_test" }) {
  const key = `test:${newId("evt")}`;
  await env.DB.batch(webhookEventStatements(env.DB, { type, data, key }));
  const event = await env.DB.prepare("SELECT id FROM webhook_events WHERE dedupe_key = ?").bind(key).first<{ id: string }>();
  if (!event) throw new Error("event not written (is an endpoint subscribed?)");
  const [deliveryId] = await repo.fanOut(env.DB, [{ eventId: event.id, deliveries: [{ id: newId("whd"), endpointId }] }], Date.now());
  return { eventId: event.id, deliveryId: deliveryId! };
}

export const deliveryRow = (id: string) =>
  env.DB.prepare("SELECT status, attempts, last_status_code, last_error, next_attempt_at FROM webhook_deliveries WHERE id = ?")
    .bind(id)
    .first<{ status: string; attempts: number; last_status_code: number | null; last_error: string | null; next_attempt_at: number | null }>();
