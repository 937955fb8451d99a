/** D1 access for inventory: the read model, the adjustment history, variant existence. */

export async function variantExists(d1: D1Database, variantId: string): Promise<boolean> {
  const row = await d1.prepare("SELECT 1 AS ok FROM product_variants WHERE id = ? AND deleted_at IS NULL").bind(variantId).first();
  return row != null;
}

export async function insertAdjustment(
  d1: D1Database,
  row: { id: string; variantId: string; delta: number; onHandAfter: number; reason: string; actor: string | null; createdAt: number },
) {
  await d1
    .prepare("INSERT INTO inventory_adjustments (id, variant_id, delta, on_hand_after, reason, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .bind(row.id, row.variantId, row.delta, row.onHandAfter, row.reason, row.actor, row.createdAt)
    .run();
}

export type SyncMessage = { variantId: string; onHand: number; reserved: number; version: number };

/** Writes a level only when its version is newer, so duplicates and reordering are harmless. */
export async function upsertLevelIfNewer(d1: D1Database, m: SyncMessage, now: number): Promise<boolean> {
  const result = await d1
    .prepare(
      `INSERT INTO inventory_levels (variant_id, on_hand, reserved, version, synced_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE EXISTS (SELECT 1 FROM product_variants WHERE id = ?1)
       ON CONFLICT (variant_id) DO UPDATE SET on_hand = excluded.on_hand, reserved = excluded.reserved,
         version = excluded.version, synced_at = excluded.synced_at, updated_at = excluded.updated_at
       WHERE excluded.version > inventory_levels.version`,
    )
    .bind(m.variantId, m.onHand, m.reserved, m.version, now)
    .run();
  return result.meta.changes > 0;
}
