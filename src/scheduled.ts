/**
 * The cron sweep (every few minutes). Each task runs on its own so one failing task never stops
 * the others; areas add their tasks (outbox re-enqueue, checkout expiry, stock reconciliation).
 */
import { createLogger } from "./lib/log";
import { cancelEndedCheckoutPayments, expireAbandonedCheckouts, resumePaidCheckouts, settleFailedCheckouts } from "./modules/checkout/sweeps";
import { reconcileInventory } from "./modules/inventory/reconcile";
import { purgeExpiredRows } from "./modules/maintenance/service";
import { settleInterruptedOrders } from "./modules/orders/service";
import { retryDueRefunds } from "./modules/refunds/service";
import { settlePayingDifferences } from "./modules/returns/difference";
import { settleReceivedReturns } from "./modules/returns/receive";
import { sweepStuckOutbox } from "./modules/notifications/service";
import { sweepWebhooks } from "./modules/webhooks/service";

export type ScheduledTask = { name: string; run: (env: Env, now: number) => Promise<unknown> };

export const scheduledTasks: ScheduledTask[] = [
  { name: "purge_expired_rows", run: purgeExpiredRows },
  { name: "sweep_stuck_outbox", run: sweepStuckOutbox },
  { name: "reconcile_inventory", run: reconcileInventory },
  { name: "settle_interrupted_orders", run: settleInterruptedOrders },
  { name: "expire_abandoned_checkouts", run: expireAbandonedCheckouts },
  { name: "resume_paid_checkouts", run: resumePaidCheckouts },
  { name: "retry_due_refunds", run: retryDueRefunds },
  { name: "settle_failed_checkouts", run: settleFailedCheckouts },
  { name: "settle_received_returns", run: settleReceivedReturns },
  { name: "settle_paying_differences", run: settlePayingDifferences },
  { name: "sweep_webhooks", run: sweepWebhooks },
  { name: "cancel_ended_checkout_payments", run: cancelEndedCheckoutPayments },
];

export async function runScheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext) {
  const logger = createLogger({ cron: controller.cron });
  const now = controller.scheduledTime;
  const results = await Promise.allSettled(scheduledTasks.map((task) => task.run(env, now)));
  results.forEach((result, i) => {
    const task = scheduledTasks[i]!.name;
    if (result.status === "fulfilled") logger.info("cron_task_done", { task, result: JSON.stringify(result.value) });
    else logger.error("cron_task_failed", { task, name: result.reason instanceof Error ? result.reason.name : "unknown" });
  });
  if (results.some((r) => r.status === "rejected")) throw new Error("a scheduled task failed");
}
