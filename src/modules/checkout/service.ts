/**
 * Checkout: lock the cart (price snapshot + stock reservations) under an Idempotency-Key, take
 * the payment, and hand over to finalize. Each state change is a conditional UPDATE.
 */
import { getConfig } from "../../env";
import { AppError, conflict, invalidState, notFound, validationError } from "../../lib/errors";
import { sha256Hex } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { toIso } from "../../lib/time";
import { priceLoadedCart, toCartItem, toDiscountViews, toPayableTotals } from "../cart/pricing";
import type { LoadedCart } from "../cart/repo";
import type { PricedCartLine } from "../cart/pricing";
import { appliedBalances, holdTenders, plannedTenders, releaseTenders, tendersOf, tenderViews } from "../gift-cards/tenders";
import { loadCart } from "../cart/service";
import { checkoutMarketOf, checkoutRefusal, marketView, storedCheckoutMarket } from "../markets/cart";
import { defaultMarket, type Market } from "../markets/context";
import { normalizeCode } from "../pricing/eligibility";
import type { RejectionReason } from "../pricing/types";
import { releaseLines, reserveLines, stockLinesOf, type Shortage } from "../inventory/service";
import { checkoutIn, releaseClaimStatements } from "./discount-claims";
import * as repo from "./repo";
import type { Checkout, CreateCheckoutBody } from "./schemas";
import { writeBusinessEvent } from "../analytics/events";

const KEY_TTL_MS = 24 * 3600_000;
/** A claim this old without an answer belongs to a request that died; a retry may take it over. */
const ABANDONED_CLAIM_MS = 60_000;
/** Holds outlive the checkout a little, so a payment taken at the last second can still commit. */
const HOLD_GRACE_MS = 60_000;

export function toCheckout(row: Omit<repo.CheckoutRow, "version">): Checkout {
  const { lines, totals, discounts } = repo.snapshotOf(row);
  // Before it locks, a checkout lists the balances it may hold at 0: not shown as paying.
  const tenders = tendersOf(row).filter((t) => t.amount > 0);
  const paid = tenderViews(tenders, row.currency);
  return {
    id: row.id,
    state: row.state,
    cartId: row.cart_id,
    lines: lines.map((l) => toCartItem(l, row.currency)),
    ...toDiscountViews(discounts, row.currency),
    ...marketView(storedCheckoutMarket(row.market)),
    giftCards: paid.giftCards,
    totals: toPayableTotals(totals, tenders, row.currency),
    expiresAt: toIso(row.expires_at),
    orderId: row.order_id,
  };
}

const insufficient = (lines: Shortage[]) =>
  new AppError("INSUFFICIENT_INVENTORY", "Not enough stock for some lines", 409, { lines });

const OUTSIDE_THE_CART = new Set<RejectionReason>(["expired", "not_started", "usage_limit_reached", "customer_limit_reached", "unknown"]);

/** 409 for a discount that applied on the cart but not any more (a limit was reached meanwhile). */
export const codeNoLongerApplies = (code: string | null, reason: string) =>
  conflict(`Discount ${code ?? ""} no longer applies (${reason}); remove it from the cart or try again`.replace("  ", " "), { reason, code });

/**
 * Prices the loaded cart, stores the snapshot and reserves every line, or none; the answer is
 * stored under the key in the batch that locks (or fails) the checkout. Round trips after the
 * first batch: the upsert (with older checkouts of the cart expired), the InventoryDO reserves of
 * all lines in parallel, then LOCKED + the stored answer.
 */
async function lockCart(env: Env, customerId: string, key: string, body: CreateCheckoutBody, now: number, market: Market, loaded: LoadedCart, stored: { answer: boolean }): Promise<Checkout> {
  const { cart } = loaded;
  const scope = `checkout:${customerId}`;
  if (body.cartId && body.cartId !== cart.id) throw notFound("Cart");
  const priced = await priceLoadedCart(env, customerId, loaded, [], now, market);
  if (priced.lines.length === 0) throw validationError([{ path: "cart", message: "The cart is empty" }]);
  // Markets: every line priced in the cart's currency; goods to ship have an address and a method.
  const refusal = checkoutRefusal(priced);
  if (refusal) throw refusal;
  // A code that stopped applying for reasons outside the cart (used up, expired, deleted) refuses
  // the checkout rather than charging more than the shopper saw; one the cart's own contents
  // switched off is already shown on the cart as inactive, at the price charged here.
  const refused = priced.rejected.find((r) => OUTSIDE_THE_CART.has(r.reason));
  if (refused) throw codeNoLongerApplies(normalizeCode(refused.code), refused.reason);
  const expiresAt = now + getConfig(env).CHECKOUT_TTL_SECONDS * 1000;
  const snapshot = { lines: priced.lines.map(({ purchasable: _p, ...line }) => line), totals: priced.totals, discounts: priced.applied };
  const marketFacts = checkoutMarketOf(market, priced.market, priced.shipping);
  // The balances the checkout may hold are on the row before any is held, so every end of it lets them go.
  const applied = appliedBalances(customerId, cart.currency, cart);
  const row = { id: newId("chk", now), cartId: cart.id, customerId, key, currency: cart.currency, snapshot, market: marketFacts, tenders: plannedTenders(applied), expiresAt, now };
  const { upserted, current, superseded } = await repo.upsertCheckout(env.DB, row);
  if (!upserted) return toCheckout(current);
  const { id, version, previousLines, previousTenders } = upserted;
  // Quantities are summed per variant across the whole cart, bundle components included.
  const stock = stockLinesOf(priced.lines);
  const kept = new Set(stock.map((l) => l.variantId));
  // Before reserving, in parallel: older checkouts of the cart (expired in the upsert's batch) give
  // their stock and balances back, and a retry that took over a row a dead request left lets go of
  // variants no longer in the cart (the rest are re-reserved below at the new quantities).
  await Promise.all([
    ...superseded.map(async (older) => {
      writeBusinessEvent(env.ANALYTICS, "checkout_failed", { detail: "superseded", subjectId: older.id });
      await Promise.all([releaseLines(env, older.id, stockLinesOf(JSON.parse(older.lines) as PricedCartLine[]).map((l) => l.variantId)), releaseTenders(env, older.id, tendersOf(older))]);
    }),
    previousLines ? releaseLines(env, id, stockLinesOf(previousLines).map((l) => l.variantId).filter((v) => !kept.has(v))) : null,
    previousLines ? releaseTenders(env, id, tendersOf({ tenders: previousTenders }).filter((t) => !applied.some((a) => a.accountId === t.accountId))) : null,
  ]);
  const gone = priced.lines.filter((l) => !l.purchasable).map((l) => ({ variantId: l.variantId, requested: l.quantity, available: 0 }));
  const shortages = gone.length > 0 ? gone : await reserveLines(env, id, stock, expiresAt + HOLD_GRACE_MS);
  if (shortages.length > 0) {
    await env.DB.batch([
      repo.transitionStatement(env.DB, id, ["CREATED"], "FAILED", now, { failureReason: "insufficient_inventory" }),
      repo.storeKeyResponseStatement(env.DB, scope, key, 409, { code: "INSUFFICIENT_INVENTORY", lines: shortages }),
    ]);
    stored.answer = true;
    await releaseTenders(env, id, applied);
    writeBusinessEvent(env.ANALYTICS, "checkout_failed", { detail: "insufficient_inventory", subjectId: id });
    throw insufficient(shortages);
  }
  // Gift cards and store credit on the cart hold what they can of the total, like stock.
  const tenders = await holdTenders(env, id, applied, priced.totals.total, expiresAt + HOLD_GRACE_MS);
  const lines = JSON.stringify(snapshot.lines);
  const totals = JSON.stringify(snapshot.totals);
  const discounts = JSON.stringify(snapshot.discounts);
  const checkout = toCheckout({ id, cart_id: cart.id, customer_id: customerId, state: "LOCKED", currency: cart.currency, lines, totals, discounts, market: JSON.stringify(marketFacts), tenders: JSON.stringify(tenders), expires_at: expiresAt, order_id: null, payment_id: null, updated_at: now });
  // The answer is stored only if this very move to LOCKED happened (the row's next version).
  const [locked] = await env.DB.batch([
    repo.transitionStatement(env.DB, id, ["CREATED"], "LOCKED", now, { tenders: JSON.stringify(tenders) }),
    repo.storeKeyResponseStatement(env.DB, scope, key, 201, checkout, { sql: "EXISTS (SELECT 1 FROM checkouts WHERE id = ? AND state = 'LOCKED' AND version = ?)", args: [id, version + 1] }),
  ]);
  if (locked!.meta.changes !== 1) {
    await releaseLines(env, id, stock.map((l) => l.variantId));
    await releaseTenders(env, id, applied);
    throw invalidState("Checkout changed while locking");
  }
  stored.answer = true;
  return checkout;
}

function replay(row: repo.KeyRow): Checkout {
  const body = JSON.parse(row.response_body!) as Checkout | { code: "INSUFFICIENT_INVENTORY"; lines: Shortage[] };
  if (row.status_code === 201) return body as Checkout;
  throw insufficient((body as { lines: Shortage[] }).lines);
}

/**
 * POST /checkouts: the same key and body replay the stored answer; another body is a conflict.
 * The key is claimed in the first batch, which also reads the cart, its lines and every pricing input.
 */
export async function createCheckout(env: Env, customerId: string, key: string, body: CreateCheckoutBody, now = Date.now(), market?: Market): Promise<Checkout> {
  const m = market ?? (await defaultMarket(env));
  const scope = `checkout:${customerId}`;
  const hash = await sha256Hex(JSON.stringify({ cartId: body.cartId ?? null, note: body.note ?? null }));
  const { before, loaded } = await loadCart(env, customerId, now, m, { before: repo.claimKeyStatements(env.DB, scope, key, hash, now, now + KEY_TTL_MS) });
  const claim = repo.claimOf(before[0]!, before[1]!);
  if (!claim.claimed) {
    if (claim.row.request_hash !== hash) throw new AppError("IDEMPOTENCY_CONFLICT", "Idempotency-Key was used with another request", 422);
    if (claim.row.status_code != null) return replay(claim.row);
    const abandoned = claim.row.created_at < now - ABANDONED_CLAIM_MS;
    if (!abandoned || !(await repo.takeOverKey(env.DB, scope, key, claim.row.created_at, now))) {
      throw conflict("A request with this Idempotency-Key is in progress");
    }
  }
  const stored = { answer: false };
  try {
    const checkout = await lockCart(env, customerId, key, body, now, m, loaded, stored);
    if (!stored.answer) await repo.storeKeyResponse(env.DB, scope, key, 201, checkout);
    return checkout;
  } catch (err) {
    if (stored.answer) throw err;
    if (err instanceof AppError && err.code === "INSUFFICIENT_INVENTORY") {
      await repo.storeKeyResponse(env.DB, scope, key, 409, { code: err.code, lines: err.details?.lines });
    } else {
      await repo.dropKey(env.DB, scope, key);
    }
    throw err;
  }
}

/** A customer's own checkout; another customer's is not found. */
export async function getCheckout(env: Env, customerId: string, id: string, now = Date.now()): Promise<Checkout> {
  const row = await repo.findCustomerCheckout(env.DB, id, customerId);
  if (!row) throw notFound("Checkout");
  // A checkout past its expiry is shown as what it is, without waiting for the cron sweep.
  if (row.state === "LOCKED" && row.expires_at <= now && (await expireCheckout(env, row, now))) return toCheckout({ ...row, state: "EXPIRED" });
  return toCheckout(row);
}

/**
 * Ends a checkout that ran out of time (or was superseded) and gives its stock back. Its discount
 * uses go back in the same batch as the move, guarded by it: a payment confirmed first keeps them.
 */
export async function expireCheckout(env: Env, row: repo.CheckoutRow, now = Date.now(), reason = "expired"): Promise<boolean> {
  const [moved] = await env.DB.batch([
    repo.transitionStatement(env.DB, row.id, ["CREATED", "LOCKED"], "EXPIRED", now, { failureReason: reason }),
    ...releaseClaimStatements(env.DB, row.id, now, checkoutIn(row.id, ["EXPIRED"])),
  ]);
  if (moved!.meta.changes !== 1) return false;
  writeBusinessEvent(env.ANALYTICS, "checkout_failed", { detail: reason, subjectId: row.id });
  // Stock and balances go back side by side: one failing (an overloaded object) does not keep the other held.
  const released = await Promise.allSettled([releaseLines(env, row.id, stockLinesOf(repo.snapshotOf(row).lines).map((l) => l.variantId)), releaseTenders(env, row.id, tendersOf(row))]);
  const failed = released.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return true;
}
