/**
 * Cron: compares InventoryDO (authoritative) with the D1 read model for variants that changed
 * recently — those in recent checkouts, recently cancelled or refunded orders (restocked), or
 * admin adjustments — and repairs the read model when a
 * sync message was lost, logging each drift. Bounded per run; a lost message is healed within one
 * sweep, and the versioned write never overwrites newer data.
 */
import { getConfig } from "../../env";
import { createLogger } from "../../lib/log";
import * as repo from "./repo";
import { withStock } from "./service";

const MAX_VARIANTS_PER_RUN = 200;

export async function recentlyChangedVariants(env: Env, now: number): Promise<string[]> {
  // A reservation lives at most one checkout TTL; twice that plus slack covers commits and expiries.
  const since = now - (2 * getConfig(env).CHECKOUT_TTL_SECONDS + 600) * 1000;
  return repo.variantsChangedSince(env.DB, since, MAX_VARIANTS_PER_RUN);
}

export async function reconcileInventory(env: Env, now = Date.now()) {
  const variantIds = await recentlyChangedVariants(env, now);
  const readModel = await repo.readLevels(env.DB, variantIds);
  const logger = createLogger({ task: "reconcile_inventory" });
  let repaired = 0;
  for (const variantId of variantIds) {
    const truth = await withStock(env, variantId, (s) => s.snapshot(variantId));
    const seen = readModel.get(variantId);
    if (seen && seen.onHand === truth.onHand && seen.reserved === truth.reserved) continue;
    logger.warn("inventory_drift", {
      variantId,
      readOnHand: seen?.onHand ?? null,
      readReserved: seen?.reserved ?? null,
      onHand: truth.onHand,
      reserved: truth.reserved,
      version: truth.version,
    });
    await repo.forceLevel(env.DB, { variantId, onHand: truth.onHand, reserved: truth.reserved, version: truth.version }, now);
    repaired += 1;
  }
  return { checked: variantIds.length, repaired };
}
