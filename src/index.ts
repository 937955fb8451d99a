/** Worker entry: wires the app, the queue consumers and the cron sweep; re-exports the Durable Objects. */
import { createApp } from "./app";
import { withReadLane } from "./http/read-lane";
import { handleQueueBatch } from "./queues";
import { runScheduled } from "./scheduled";

export { InventoryDO } from "../durable-objects/inventory";
export { RateLimiterDO } from "../durable-objects/rate-limiter";
export { GiftCardDO } from "../durable-objects/gift-card";

const app = createApp();

export default {
  fetch: withReadLane(app.fetch),
  queue: (batch, env, ctx) => handleQueueBatch(batch, env, ctx),
  scheduled: (controller, env, ctx) => runScheduled(controller, env, ctx),
} satisfies ExportedHandler<Env>;
