/** Business metric for a placed order, written once per order even if its event is redelivered. */
import { writeBusinessEvent } from "./events";

export async function recordOrderPlacedMetric(env: Env, orderId: string, now = Date.now()) {
  const [receipt, order] = await env.DB.batch([
    env.DB.prepare("INSERT INTO event_receipts (consumer, event_key, created_at) VALUES ('metrics', ?, ?) ON CONFLICT DO NOTHING").bind(orderId, now),
    env.DB.prepare("SELECT total, currency FROM orders WHERE id = ?").bind(orderId),
  ]);
  const row = order!.results[0] as { total: number; currency: string } | undefined;
  if (receipt!.meta.changes === 1 && row) {
    writeBusinessEvent(env.ANALYTICS, "order_placed", { detail: row.currency, subjectId: orderId, value: row.total });
  }
}
