/**
 * Cron tasks for checkouts: expire abandoned ones (their stock comes back) and resume paid ones
 * stuck before COMPLETED, so a paid checkout always becomes an order.
 */
import { createLogger } from "../../http/logger";
import { finalizeCheckout } from "./finalize";
import { releaseDiscounts } from "./discount-claims";
import * as repo from "./repo";
import { expireCheckout } from "./service";

const BATCH = 50;
/** A finalize younger than this may still be running in its request; leave it alone. */
const RESUME_AFTER_MS = 30_000;
/** A payment still pending after this never reached the provider's answer; the shopper may retry. */
const PENDING_TIMEOUT_MS = 5 * 60_000;

/** Expires CREATED/LOCKED checkouts past their expiry and releases their holds. */
export async function expireAbandonedCheckouts(env: Env, now = Date.now()) {
  let expired = 0;
  for (const row of await repo.listExpired(env.DB, now, BATCH)) if (await expireCheckout(env, row, now)) expired += 1;
  return { expired };
}

/** Finalizes PAYMENT_CONFIRMED / ORDER_CREATED checkouts and unsticks abandoned PAYMENT_PENDING ones. */
export async function resumePaidCheckouts(env: Env, now = Date.now()) {
  const logger = createLogger({ task: "resume_paid_checkouts" });
  let resumed = 0;
  let failed = 0;
  for (const row of await repo.listStale(env.DB, ["PAYMENT_CONFIRMED", "ORDER_CREATED"], now - RESUME_AFTER_MS, BATCH)) {
    try {
      await finalizeCheckout(env, row.id, { requestId: null }, now);
      resumed += 1;
    } catch (err) {
      failed += 1;
      logger.error("resume_failed", { checkoutId: row.id, name: err instanceof Error ? err.name : "unknown" });
    }
  }
  let unstuck = 0;
  for (const row of await repo.listStale(env.DB, ["PAYMENT_PENDING"], now - PENDING_TIMEOUT_MS, BATCH)) {
    // Its discount uses go back first; should the payment still be confirmed, finalize claims them again.
    await releaseDiscounts(env.DB, row.id, now);
    if (await repo.transition(env.DB, row.id, ["PAYMENT_PENDING"], "LOCKED", now)) unstuck += 1;
  }
  return { resumed, failed, unstuck };
}
