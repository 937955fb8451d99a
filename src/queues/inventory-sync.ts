/** inventory-sync consumer: mirrors InventoryDO changes into D1's inventory_levels read model. */
import { z } from "zod";
import { createLogger } from "../http/logger";
import { upsertLevelIfNewer } from "../modules/inventory/repo";

const SyncMessage = z.object({
  variantId: z.string().min(1),
  onHand: z.number().int(),
  reserved: z.number().int().min(0),
  version: z.number().int().min(0),
});

/** Applies one change; older or repeated versions are ignored. */
export async function processInventorySync(env: Env, body: unknown, now = Date.now()): Promise<boolean> {
  const parsed = SyncMessage.safeParse(body);
  if (!parsed.success) return false;
  return upsertLevelIfNewer(env.DB, parsed.data, now);
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
