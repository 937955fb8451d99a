/**
 * The value lists of the data model's enumerated columns. Deliberately free of imports: schemas
 * and services use them at runtime, and importing them from ./schema would pull drizzle's table
 * builders into the Worker (docs/bundle.md). ./schema uses them for its columns and re-exports them.
 */

export const ORDER_STATUSES = [
  "pending",
  "confirmed",
  "processing",
  "shipped",
  "delivered",
  "cancelled",
  "refunded",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const REFUND_STATUSES = ["pending", "succeeded", "needs_attention"] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export const CHECKOUT_STATES = [
  "CREATED",
  "LOCKED",
  "PAYMENT_PENDING",
  "PAYMENT_CONFIRMED",
  "ORDER_CREATED",
  "COMPLETED",
  "EXPIRED",
  "FAILED",
  /** Paid, but no order can be made: the charge is being refunded (a refunds row tracks it). */
  "REFUND_PENDING",
  /** Paid, no order, and the provider confirmed the refund; its stock went back. */
  "REFUNDED",
] as const;
export type CheckoutState = (typeof CHECKOUT_STATES)[number];

export const RETURN_STATUSES = ["requested", "approved", "received", "refunded", "rejected"] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];
/** The state of an exchange's price difference (returns.difference_status). */
export const DIFFERENCE_STATUSES = ["none", "due", "paying", "paid"] as const;
export type DifferenceStatus = (typeof DIFFERENCE_STATUSES)[number];

export const SHIPPING_KINDS = ["flat", "weight"] as const;
export type ShippingKind = (typeof SHIPPING_KINDS)[number];

export const WEBHOOK_DELIVERY_STATUSES = ["pending", "succeeded", "failed", "dead"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export const TRANSLATABLE = ["product", "variant", "category", "collection"] as const;
export type TranslatableEntity = (typeof TRANSLATABLE)[number];
