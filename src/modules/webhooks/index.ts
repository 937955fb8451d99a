/** What other modules use to raise webhook events inside their own D1 batches. */
export { webhookEventStatements, WEBHOOK_EVENT_TYPES, type WebhookEventInput, type WebhookEventType } from "./events";
export { orderPlacedEvent, orderStatusEvents } from "./order-events";
export { dispatchPendingEvents, requestDispatch } from "./dispatch";
export { lowStockEvent, productEvent, wroteEvents } from "./catalog-events";
