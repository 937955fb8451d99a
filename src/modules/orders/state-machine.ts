/** The order state machine of DESIGN.md; cancelled and refunded are terminal. */
import type { OrderStatus } from "../../db/schema";

const NEXT: Record<OrderStatus, OrderStatus[]> = {
  pending: ["confirmed", "processing", "cancelled", "refunded"],
  confirmed: ["processing", "cancelled", "refunded"],
  processing: ["shipped", "cancelled", "refunded"],
  shipped: ["delivered", "refunded"],
  delivered: ["refunded"],
  cancelled: [],
  refunded: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return NEXT[from].includes(to);
}

/** The statuses from which `to` may be reached. */
export function sourcesOf(to: OrderStatus): OrderStatus[] {
  return (Object.keys(NEXT) as OrderStatus[]).filter((from) => NEXT[from].includes(to));
}

/** Stock goes back on hand when an order is cancelled (never shipped). */
export const CANCELLABLE = sourcesOf("cancelled");
