import * as z from "zod";
import { validationError } from "../../lib/errors";

const DAY_MS = 86_400_000;
const MAX_RANGE_DAYS = 366;
/** A real calendar day: Date.parse would roll 2026-02-30 over into March, so the day must survive the round trip. */
function isCalendarDate(value: string): boolean {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return false;
  const [y, m, d] = value.slice(0, 10).split("-").map(Number) as [number, number, number];
  const date = new Date(ms);
  return date.getUTCFullYear() === y && date.getUTCMonth() + 1 === m && date.getUTCDate() === d;
}
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?$/, "expected an ISO date (YYYY-MM-DD)")
  .refine(isCalendarDate, "not a calendar date")
  .openapi({ example: "2026-01-31" });

/** `from` inclusive, `to` exclusive, as ISO dates; default the last 30 days. */
export const RangeQuery = z.object({ from: isoDate.optional(), to: isoDate.optional() });
export type RangeQuery = z.infer<typeof RangeQuery>;

/** Resolves a range to epoch ms; at most a year, so every report stays a bounded query. */
export function resolveRange(q: RangeQuery, now = Date.now()): { from: number; to: number } {
  const to = q.to ? Date.parse(q.to) : now;
  const from = q.from ? Date.parse(q.from) : to - 30 * DAY_MS;
  const issue = (path: string, message: string) => validationError([{ path, message }]);
  if (Number.isNaN(from)) throw issue("from", "invalid date");
  if (Number.isNaN(to)) throw issue("to", "invalid date");
  if (from >= to) throw issue("to", "to must be after from");
  if (to - from > MAX_RANGE_DAYS * DAY_MS) throw issue("to", `range is at most ${MAX_RANGE_DAYS} days`);
  return { from, to };
}

const Range = z.object({ from: z.string(), to: z.string() });
const Money = z.object({ amount: z.number().int(), currency: z.string() });

export const SalesReport = z
  .object({
    range: Range,
    data: z.array(z.object({ day: z.string(), orders: z.number().int(), revenue: Money, averageOrderValue: Money })),
  })
  .openapi("SalesReport");

export const MarketSalesReport = z
  .object({
    range: Range,
    data: z.array(
      z.object({
        region: z.string().nullable().openapi({ description: "null: orders placed before regions existed" }),
        orders: z.number().int(),
        revenue: Money,
        shipping: Money,
        tax: Money,
        averageOrderValue: Money,
      }),
    ),
  })
  .openapi("MarketSalesReport");

export const TopProductsQuery = RangeQuery.extend({
  limit: z.coerce.number().int().min(1).max(100).default(10),
});

export const TopProductsReport = z
  .object({ range: Range, data: z.array(z.object({ productId: z.string(), title: z.string().nullable(), units: z.number().int(), revenue: Money })) })
  .openapi("TopProductsReport");

export const LowStockQuery = z.object({
  threshold: z.coerce.number().int().min(1).max(100_000).default(5),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const LowStockReport = z
  .object({
    threshold: z.number().int(),
    data: z.array(
      z.object({
        variantId: z.string(), sku: z.string().nullable(), variantTitle: z.string().nullable(), productId: z.string().nullable(),
        productTitle: z.string().nullable(), onHand: z.number().int(), reserved: z.number().int(), available: z.number().int(),
      }),
    ),
  })
  .openapi("LowStockReport");

export const FunnelReport = z
  .object({
    range: Range,
    carts: z.number().int(),
    checkouts: z.number().int(),
    orders: z.number().int(),
    checkoutRate: z.number().nullable().openapi({ description: "checkouts / carts" }),
    conversionRate: z.number().nullable().openapi({ description: "orders / carts" }),
  })
  .openapi("FunnelReport");
