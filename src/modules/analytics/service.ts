/** Admin business analytics: revenue by day, top products, low stock and the purchase funnel. */
import { toIso } from "../../lib/time";
import * as repo from "./repo";

type Range = { from: number; to: number };
const rangeOut = (r: Range) => ({ from: toIso(r.from), to: toIso(r.to) });

/** Integer average with half-up rounding: money stays in minor units. */
const averageMinor = (total: number, count: number) => (count === 0 ? 0 : Math.floor((2 * total + count) / (2 * count)));

export async function salesByDay(env: Env, range: Range) {
  const rows = await repo.sales(env.DB, range.from, range.to);
  return {
    range: rangeOut(range),
    data: rows.map((r) => ({
      day: r.day,
      orders: r.orders,
      revenue: { amount: r.revenue, currency: r.currency },
      averageOrderValue: { amount: averageMinor(r.revenue, r.orders), currency: r.currency },
    })),
  };
}

/** Revenue per region and currency (each in its own currency: amounts are never converted or added across currencies). */
export async function salesByMarket(env: Env, range: Range) {
  const rows = await repo.salesByMarket(env.DB, range.from, range.to);
  return {
    range: rangeOut(range),
    data: rows.map((r) => ({
      region: r.region,
      orders: r.orders,
      revenue: { amount: r.revenue, currency: r.currency },
      shipping: { amount: r.shipping, currency: r.currency },
      tax: { amount: r.tax, currency: r.currency },
      averageOrderValue: { amount: averageMinor(r.revenue, r.orders), currency: r.currency },
    })),
  };
}

export async function topProducts(env: Env, range: Range, limit: number) {
  const rows = await repo.topProducts(env.DB, range.from, range.to, limit);
  return {
    range: rangeOut(range),
    data: rows.map((r) => ({ productId: r.productId, title: r.title, units: r.units, revenue: { amount: r.revenue, currency: r.currency } })),
  };
}

export async function lowStock(env: Env, threshold: number, limit: number) {
  return { threshold, data: await repo.lowStock(env.DB, threshold, limit) };
}

export async function funnel(env: Env, range: Range) {
  const counts = await repo.funnel(env.DB, range.from, range.to);
  const rate = (n: number) => (counts.carts === 0 ? null : Math.round((n / counts.carts) * 10_000) / 10_000);
  return { range: rangeOut(range), ...counts, checkoutRate: rate(counts.checkouts), conversionRate: rate(counts.orders) };
}
