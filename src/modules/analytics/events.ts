/**
 * What Edgeshop writes to Workers Analytics Engine (binding ANALYTICS, dataset edgeshop_events).
 * One layout, named here, so docs/analytics.md and its test can check every column they use.
 * blob1 tells the kind of point apart: "request" or "event".
 */
export const REQUEST_COLUMNS = {
  blob1: "kind = 'request'",
  blob2: "route pattern (e.g. /api/v1/store/products/:idOrSlug)",
  blob3: "method",
  blob4: "status class (2xx, 4xx, 5xx)",
  blob5: "cache status (HIT-MEMORY, HIT-KV, MISS, STALE, none)",
  blob6: "colo",
  blob7: "country",
  double1: "latency in ms",
  double2: "HTTP status",
  index1: "route pattern",
} as const;

export const EVENT_COLUMNS = {
  blob1: "kind = 'event'",
  blob2: "event type (order_placed, checkout_failed, rate_limited, email_dead_lettered, message_dead_lettered, refund_succeeded, refund_needs_attention)",
  blob3: "detail: currency for order_placed, reason for checkout_failed, email_dead_lettered and refunds, policy for rate_limited, queue for message_dead_lettered",
  blob4: "subject id (order id, outbox id, refund id) — never personal data",
  blob5: "region code for order_placed (markets), else empty",
  double1: "value in minor units (order_placed, refunds) or 0",
  double2: "count (always 1)",
  index1: "event type",
} as const;

export type BusinessEventType =
  | "order_placed"
  | "checkout_failed"
  | "rate_limited"
  | "email_dead_lettered"
  | "message_dead_lettered"
  | "refund_succeeded"
  | "refund_needs_attention";

type Dataset = Pick<AnalyticsEngineDataset, "writeDataPoint"> | undefined;

/** Analytics never fails or slows the caller: writeDataPoint is fire-and-forget; errors are dropped. */
function safeWrite(dataset: Dataset, point: AnalyticsEngineDataPoint) {
  try {
    dataset?.writeDataPoint(point);
  } catch {
    // metrics are best effort by design
  }
}

export function writeRequestPoint(
  dataset: Dataset,
  p: { route: string; method: string; status: number; cache: string; colo: string; country: string; latencyMs: number },
) {
  safeWrite(dataset, {
    blobs: ["request", p.route, p.method, `${Math.floor(p.status / 100)}xx`, p.cache, p.colo, p.country],
    doubles: [p.latencyMs, p.status],
    indexes: [p.route.slice(0, 96)],
  });
}

export function writeBusinessEvent(dataset: Dataset, type: BusinessEventType, p: { detail?: string; subjectId?: string; value?: number; region?: string } = {}) {
  safeWrite(dataset, {
    blobs: ["event", type, p.detail ?? "", p.subjectId ?? "", p.region ?? ""],
    doubles: [p.value ?? 0, 1],
    indexes: [type],
  });
}
