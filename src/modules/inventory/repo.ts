/** D1 access for inventory: the read model, the adjustment history, variant existence. */
import { lowStockEvent, webhookEventStatements } from "../webhooks";

export async function variantExists(d1: D1Database, variantId: string): Promise<boolean> {
  const row = await d1.prepare("SELECT 1 AS ok FROM product_variants WHERE id = ? AND deleted_at IS NULL").bind(variantId).first();
  return row != null;
}

export async function insertAdjustment(
  d1: D1Database,
  row: { id: string; variantId: string; delta: number; onHandAfter: number; reason: string; actor: string | null; createdAt: number },
) {
  await d1
    // A retried admin change carries the same id: its history row is written once.
    .prepare("INSERT INTO inventory_adjustments (id, variant_id, delta, on_hand_after, reason, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")
    .bind(row.id, row.variantId, row.delta, row.onHandAfter, row.reason, row.actor, row.createdAt)
    .run();
}

export type SyncMessage = { variantId: string; onHand: number; reserved: number; version: number };

/**
 * Writes a level only when its version is newer, so duplicates and reordering are harmless. In the
 * same batch, and judged against the row before it, an inventory.low_stock event when the write
 * takes the available stock below `lowStockThreshold`.
 */
/**
 * Records one object's level (newer versions only) and answers the variant's whole level: the sum
 * over its objects, whose version (the sum of theirs) only grows, so the read model's versioned
 * write still keeps the newest.
 */
export async function upsertShardLevel(d1: D1Database, m: SyncMessage & { shard: number }, now: number): Promise<SyncMessage | null> {
  const [, sum] = await d1.batch<{ on_hand: number | null; reserved: number | null; version: number | null }>([
    d1
      .prepare(
        `INSERT INTO inventory_shard_levels (variant_id, shard, on_hand, reserved, version, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (variant_id, shard) DO UPDATE SET on_hand = excluded.on_hand, reserved = excluded.reserved, version = excluded.version, updated_at = excluded.updated_at
         WHERE excluded.version > inventory_shard_levels.version`,
      )
      .bind(m.variantId, m.shard, m.onHand, m.reserved, m.version, now),
    d1.prepare("SELECT SUM(on_hand) AS on_hand, SUM(reserved) AS reserved, SUM(version) AS version FROM inventory_shard_levels WHERE variant_id = ?").bind(m.variantId),
  ]);
  const row = sum!.results[0];
  if (row?.version == null) return null;
  return { variantId: m.variantId, onHand: row.on_hand ?? 0, reserved: row.reserved ?? 0, version: row.version };
}

export async function upsertLevelIfNewer(d1: D1Database, m: SyncMessage, now: number, lowStockThreshold = 0): Promise<{ applied: boolean; lowStock: boolean }> {
  const [event, result] = await d1.batch([
    ...webhookEventStatements(d1, lowStockEvent(m, lowStockThreshold, now)),
    d1
      .prepare(
        `INSERT INTO inventory_levels (variant_id, on_hand, reserved, version, synced_at, updated_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE EXISTS (SELECT 1 FROM product_variants WHERE id = ?1)
         ON CONFLICT (variant_id) DO UPDATE SET on_hand = excluded.on_hand, reserved = excluded.reserved,
           version = excluded.version, synced_at = excluded.synced_at, updated_at = excluded.updated_at
         WHERE excluded.version > inventory_levels.version`,
      )
      .bind(m.variantId, m.onHand, m.reserved, m.version, now),
  ]);
  return { applied: result!.meta.changes > 0, lowStock: event!.meta.changes > 0 };
}

/**
 * Variants whose stock moved since `since` (bounded): those in checkouts created since (reserved,
 * sold or released), those in orders cancelled or refunded since (restocked at settlement, maybe
 * long after their checkout), those adjusted by admins, and those of orders with returns received since (restocked). A line's variants are every
 * `variantId` in it, so a bundle's components are included. Each part walks an index by time.
 */
export const VARIANTS_CHANGED_SINCE_SQL = `SELECT variant_id FROM (
    SELECT line.value AS variant_id
      FROM checkouts INDEXED BY checkouts_created_idx, json_tree(checkouts.lines) AS line
     WHERE checkouts.created_at >= ?1 AND line.key = 'variantId'
    UNION
    SELECT line.value
      FROM orders INDEXED BY orders_ended_idx
      JOIN checkouts ON checkouts.id = orders.checkout_id, json_tree(checkouts.lines) AS line
     WHERE orders.status IN ('cancelled', 'refunded') AND orders.updated_at >= ?1 AND line.key = 'variantId'
    UNION
    SELECT variant_id FROM inventory_adjustments INDEXED BY inventory_adjustments_created_idx WHERE created_at >= ?1
    UNION
    SELECT line.value
      FROM returns INDEXED BY returns_received_at_idx
      JOIN checkouts ON checkouts.id = (SELECT checkout_id FROM orders WHERE orders.id = returns.order_id), json_tree(checkouts.lines) AS line
     WHERE returns.received_at >= ?1 AND returns.restock = 1 AND line.key = 'variantId'
  ) WHERE variant_id IS NOT NULL LIMIT ?2`;

export async function variantsChangedSince(d1: D1Database, since: number, limit: number): Promise<string[]> {
  const rows = await d1.prepare(VARIANTS_CHANGED_SINCE_SQL).bind(since, limit).all<{ variant_id: string }>();
  return rows.results.map((r) => r.variant_id);
}

export async function readLevels(d1: D1Database, variantIds: string[]) {
  const levels = new Map<string, { onHand: number; reserved: number; version: number }>();
  for (let i = 0; i < variantIds.length; i += 90) {
    const chunk = variantIds.slice(i, i + 90);
    const rows = await d1
      .prepare(`SELECT variant_id, on_hand, reserved, version FROM inventory_levels WHERE variant_id IN (${chunk.map(() => "?").join(",")})`)
      .bind(...chunk)
      .all<{ variant_id: string; on_hand: number; reserved: number; version: number }>();
    for (const r of rows.results) levels.set(r.variant_id, { onHand: r.on_hand, reserved: r.reserved, version: r.version });
  }
  return levels;
}

/**
 * Repairs a drifted read model with the object's level. Guarded by version (>=) so a newer sync
 * that lands meanwhile is never overwritten by this older reading.
 */
export async function forceLevel(d1: D1Database, m: SyncMessage, now: number) {
  await d1
    .prepare(
      `INSERT INTO inventory_levels (variant_id, on_hand, reserved, version, synced_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE EXISTS (SELECT 1 FROM product_variants WHERE id = ?1)
       ON CONFLICT (variant_id) DO UPDATE SET on_hand = excluded.on_hand, reserved = excluded.reserved,
         version = excluded.version, synced_at = excluded.synced_at, updated_at = excluded.updated_at
       WHERE excluded.version >= inventory_levels.version`,
    )
    .bind(m.variantId, m.onHand, m.reserved, m.version, now)
    .run();
}

/** How many objects hold the variant's stock; read with the cart's lines, so checkouts route without asking. */
export async function setStockShards(d1: D1Database, variantId: string, count: number) {
  await d1.prepare("UPDATE product_variants SET stock_shards = ? WHERE id = ?").bind(count, variantId).run();
}
