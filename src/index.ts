/** Worker entry: wires the app, the queue consumers and the cron sweep; re-exports the Durable Objects. */
import { createApp } from "./app";
import { handleQueueBatch } from "./queues";
import { runScheduled } from "./scheduled";

export { InventoryDO } from "../durable-objects/inventory";
export { RateLimiterDO } from "../durable-objects/rate-limiter";
export { GiftCardDO } from "../durable-objects/gift-card";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch, env, ctx) => handleQueueBatch(batch, env, ctx),
  scheduled: (controller, env, ctx) => runScheduled(controller, env, ctx),
} satisfies ExportedHandler<Env>;
