/**
 * Fan-out: pending events become one delivery per subscribed, enabled endpoint, and each new
 * delivery becomes a message on the `webhooks` queue. Leases and unique (endpoint, event) rows make
 * parallel or repeated fan-outs harmless; the cron sweep picks up whatever a lost message left.
 */
import { newId } from "../../lib/ids";
import * as repo from "./repo";

const EVENT_LEASE_MS = 60_000;
const EVENTS_PER_ROUND = 40;
const MAX_ROUNDS = 5;

export type WebhookMessage = { kind: "dispatch" } | { kind: "deliver"; deliveryId: string };

export async function enqueueDeliveries(env: Env, deliveryIds: string[]) {
  for (let i = 0; i < deliveryIds.length; i += 100) {
    await env.WEBHOOKS.sendBatch(deliveryIds.slice(i, i + 100).map((deliveryId) => ({ body: { kind: "deliver", deliveryId } satisfies WebhookMessage, contentType: "json" as const })));
  }
}

/** Asks the `webhooks` consumer to fan out pending events (after a batch that may have written some). */
export async function requestDispatch(env: Env) {
  await env.WEBHOOKS.send({ kind: "dispatch" } satisfies WebhookMessage, { contentType: "json" });
}

/** Fans out every pending event nobody else is fanning out; answers how many events and deliveries. */
export async function dispatchPendingEvents(env: Env, now = Date.now()) {
  let events = 0;
  let deliveries = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const leased = await repo.leasePendingEvents(env.DB, now, EVENT_LEASE_MS, EVENTS_PER_ROUND);
    if (leased.length === 0) break;
    const endpoints = (await repo.enabledEndpoints(env.DB)).map((e) => ({ id: e.id, events: JSON.parse(e.events) as string[] }));
    const plans = leased.map((event) => ({
      eventId: event.id,
      deliveries: endpoints.filter((e) => e.events.includes(event.type)).map((e) => ({ id: newId("whd", now), endpointId: e.id })),
    }));
    const created = await repo.fanOut(env.DB, plans, now);
    await enqueueDeliveries(env, created);
    events += leased.length;
    deliveries += created.length;
    if (leased.length < EVENTS_PER_ROUND) break;
  }
  return { events, deliveries };
}
