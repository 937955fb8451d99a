/**
 * Usage limits under concurrency. Pricing checks limits against counts read earlier, so two
 * checkouts can both price a code with one use left; the use itself is taken here, in one D1
 * transaction before the charge (never charge for an order that is then refused): by the payment
 * step in the batch that moves the checkout to PAYMENT_PENDING (claimSnapshotStatements), by
 * finalize with a conditional UPDATE per discount (claimDiscounts). Claims are given back only by statements guarded by the state
 * that justifies it (a failed checkout, a cancelled order), written in the same batch as that
 * state, so a sweep racing a payment can never give back a use that an order keeps.
 */
import type { AppliedDiscount } from "../pricing/types";

export type ClaimFailure = { discountId: string; code: string | null; reason: "usage_limit_reached" | "customer_limit_reached" };

/** An SQL condition (with its arguments) that must hold, inside the batch, for a claim to be given back. */
export type ReleaseGuard = { sql: string; args: unknown[] };

/** The checkout is in one of `states` (read inside the same transaction as the release). */
export const checkoutIn = (checkoutId: string, states: string[]): ReleaseGuard => ({
  sql: `EXISTS (SELECT 1 FROM checkouts WHERE id = ? AND state IN (${states.map(() => "?").join(", ")}))`,
  args: [checkoutId, ...states],
});

function claimStatements(d1: D1Database, checkoutId: string, customerId: string, discountId: string, now: number) {
  return [
    // A claim this checkout already holds is not counted twice (retries and finalize re-check).
    d1
      .prepare(
        `UPDATE discounts SET usage_count = usage_count + 1, updated_at = ?
         WHERE id = ? AND (usage_limit IS NULL OR usage_count < usage_limit)
           AND NOT EXISTS (SELECT 1 FROM discount_claims WHERE checkout_id = ? AND discount_id = ?)
           AND (per_customer_limit IS NULL
                OR (SELECT COUNT(*) FROM discount_claims WHERE discount_id = ? AND customer_id = ?) < per_customer_limit)`,
      )
      .bind(now, discountId, checkoutId, discountId, discountId, customerId),
    // changes() is the row count of the UPDATE just above, in the same transaction.
    d1
      .prepare("INSERT INTO discount_claims (checkout_id, discount_id, customer_id, created_at) SELECT ?, ?, ?, ? WHERE changes() = 1")
      .bind(checkoutId, discountId, customerId, now),
  ];
}

/**
 * Statements that give back every use the checkout holds, only while `guard` holds; put them in
 * the batch that writes the state justifying the release, after that write. Idempotent.
 */
export function releaseClaimStatements(d1: D1Database, checkoutId: string, now: number, guard: ReleaseGuard): D1PreparedStatement[] {
  return [
    d1
      .prepare(
        `UPDATE discounts SET usage_count = usage_count - 1, updated_at = ?
         WHERE id IN (SELECT discount_id FROM discount_claims WHERE checkout_id = ?) AND usage_count > 0 AND ${guard.sql}`,
      )
      .bind(now, checkoutId, ...guard.args),
    d1.prepare(`DELETE FROM discount_claims WHERE checkout_id = ? AND ${guard.sql}`).bind(checkoutId, ...guard.args),
  ];
}

export async function whyRefused(d1: D1Database, discount: AppliedDiscount): Promise<ClaimFailure> {
  const row = await d1
    .prepare("SELECT usage_limit AS usageLimit, usage_count AS usageCount FROM discounts WHERE id = ?")
    .bind(discount.discountId)
    .first<{ usageLimit: number | null; usageCount: number }>();
  const usedUp = !row || (row.usageLimit !== null && row.usageCount >= row.usageLimit);
  return { discountId: discount.discountId, code: discount.code, reason: usedUp ? "usage_limit_reached" : "customer_limit_reached" };
}

/**
 * Takes one use of every applied discount for the checkout, all or none: answers null when the
 * checkout holds them all, else the first refused one (and holds none). `while` names the states
 * in which the checkout may give back a partial claim (never once it is an order).
 */
export async function claimDiscounts(
  d1: D1Database,
  checkout: { id: string; customerId: string },
  applied: AppliedDiscount[],
  now: number,
  whileIn: string[],
): Promise<ClaimFailure | null> {
  if (applied.length === 0) return null;
  const statements = applied.flatMap((d) => claimStatements(d1, checkout.id, checkout.customerId, d.discountId, now));
  const held = d1.prepare("SELECT discount_id AS discountId FROM discount_claims WHERE checkout_id = ?").bind(checkout.id);
  const results = await d1.batch<{ discountId: string }>([...statements, held]);
  const holding = new Set(results.at(-1)!.results.map((r) => r.discountId));
  const refused = applied.find((d) => !holding.has(d.discountId));
  if (!refused) return null;
  await d1.batch(releaseClaimStatements(d1, checkout.id, now, checkoutIn(checkout.id, whileIn)));
  return whyRefused(d1, refused);
}

/**
 * The claim statements of the payment step, keyed on the checkout's own snapshot (no id read
 * first), for the batch that moves it LOCKED → PAYMENT_PENDING: put them right after that UPDATE.
 * They claim only if it happened (`changes()` is its row count), one use of every applied
 * discount still under its limits; then the uses are counted for the claims this batch inserted
 * (marked by `now`: a checkout cannot move to PAYMENT_PENDING twice in one millisecond). The
 * caller reads the claims held (heldClaimsStatement) and, when one is missing, gives back the
 * rest with releaseClaimStatements — all or none, like claimDiscounts.
 */
export function claimSnapshotStatements(d1: D1Database, checkoutId: string, now: number): D1PreparedStatement[] {
  return [
    d1
      .prepare(
        `INSERT OR IGNORE INTO discount_claims (checkout_id, discount_id, customer_id, created_at)
         SELECT c.id, d.id, c.customer_id, ?
         FROM checkouts c, json_each(coalesce(nullif(c.discounts, ''), '[]')) j
         JOIN discounts d ON d.id = json_extract(j.value, '$.discountId')
         WHERE c.id = ? AND changes() = 1
           AND (d.usage_limit IS NULL OR d.usage_count < d.usage_limit)
           AND (d.per_customer_limit IS NULL
                OR (SELECT COUNT(*) FROM discount_claims x WHERE x.discount_id = d.id AND x.customer_id = c.customer_id) < d.per_customer_limit)`,
      )
      .bind(now, checkoutId),
    d1
      .prepare("UPDATE discounts SET usage_count = usage_count + 1, updated_at = ? WHERE id IN (SELECT discount_id FROM discount_claims WHERE checkout_id = ? AND created_at = ?)")
      .bind(now, checkoutId, now),
  ];
}

/** The discounts a checkout holds a use of. */
export const heldClaimsStatement = (d1: D1Database, checkoutId: string) =>
  d1.prepare("SELECT discount_id AS discountId FROM discount_claims WHERE checkout_id = ?").bind(checkoutId);

/** The first applied discount the checkout holds no use of, or null. */
export const firstUnheld = (applied: AppliedDiscount[], held: readonly { discountId: string }[]) => {
  const holding = new Set(held.map((r) => r.discountId));
  return applied.find((d) => !holding.has(d.discountId)) ?? null;
};

/** A partial claim given back (only while the checkout is in `whileIn`), and why the missing one was refused. */
export async function refuseClaims(d1: D1Database, checkoutId: string, refused: AppliedDiscount, now: number, whileIn: string[]): Promise<ClaimFailure> {
  await d1.batch(releaseClaimStatements(d1, checkoutId, now, checkoutIn(checkoutId, whileIn)));
  return whyRefused(d1, refused);
}
