/** inventory-sync consumer: mirrors InventoryDO changes into D1's inventory_levels read model. */
import * as z from "zod";
import { createLogger } from "../lib/log";
import { getConfig } from "../env";
import { upsertLevelIfNewer, upsertShardLevel } from "../modules/inventory/repo";
import { requestDispatch } from "../modules/webhooks";

const SyncMessage = z.object({
  variantId: z.string().min(1),
  /** Which object of the variant sent it (0, or absent, for the variant's own). */
  shard: z.number().int().min(0).max(64).default(0),
  onHand: z.number().int(),
  reserved: z.number().int().min(0),
  version: z.number().int().min(0),
});

/** Applies one change; older or repeated versions are ignored. A drop below the low-stock threshold raises its webhook event. */
export async function processInventorySync(env: Env, body: unknown, now = Date.now()): Promise<boolean> {
  const parsed = SyncMessage.safeParse(body);
  if (!parsed.success) return false;
  const whole = await upsertShardLevel(env.DB, parsed.data, now);
  if (!whole) return false;
  const { applied, lowStock } = await upsertLevelIfNewer(env.DB, whole, now, getConfig(env).LOW_STOCK_THRESHOLD);
  if (lowStock) await requestDispatch(env);
  return applied;
}

export async function inventorySyncConsumer(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const logger = createLogger({ queue: batch.queue });
  for (const message of batch.messages) {
    try {
      await processInventorySync(env, message.body);
      message.ack();
    } catch (err) {
      logger.error("inventory_sync_failed", { name: err instanceof Error ? err.name : "unknown" });
      message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
    }
  }
}
