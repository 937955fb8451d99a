/** Business metric for a placed order, written once per order even if its event is redelivered. */
import { writeBusinessEvent } from "./events";
import { claimOrderMetric } from "./repo";

export async function recordOrderPlacedMetric(env: Env, orderId: string, now = Date.now()) {
  const order = await claimOrderMetric(env.DB, orderId, now);
  if (order) writeBusinessEvent(env.ANALYTICS, "order_placed", { detail: order.currency, subjectId: orderId, value: order.total, region: order.region_code ?? "" });
}
