/**
 * Gift cards and store credit: admins issue cards (the code is shown once and stored as a hash)
 * and grant credit; shoppers check a card's balance by code and apply cards and credit to their
 * cart. Balances live in GiftCardDO (balances.ts); checkouts spend them through tenders.ts.
 */
import { AppError, notFound, validationError } from "../../lib/errors";
import { sha256Hex } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { money } from "../../lib/money";
import { toIso } from "../../lib/time";
import { activeCart, answerLoaded, cartWith, loadCart } from "../cart/service";
import type { Cart } from "../cart/schemas";
import { defaultMarket } from "../markets/context";
import { snapshotOf, storeCreditAccount, withBalance } from "./balances";
import type { AccountView } from "./ledger";
import * as repo from "./repo";
import { MAX_CART_GIFT_CARDS, type GiftCard, type IssueGiftCardBody, type StoreCredit } from "./schemas";

const CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** 16 characters of Crockford base32 (80 random bits), shown as four groups of four. */
export function generateGiftCardCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const chars = [...bytes].map((b) => CODE_ALPHABET[b & 31]).join("");
  return chars.match(/.{4}/g)!.join("-");
}

/** Codes are read case-insensitively, with or without separators. */
export const normalizeGiftCardCode = (raw: string) => raw.toUpperCase().replace(/[^0-9A-Z]/g, "");

/** Only this hash is stored: a leaked table gives no spendable codes. */
export const giftCardCodeHash = (code: string) => sha256Hex(`gift-card:${normalizeGiftCardCode(code)}`);

function toGiftCard(row: repo.GiftCardRow, account: AccountView | null): GiftCard {
  return {
    id: row.id,
    last4: row.last4,
    initialAmount: money(row.initial_amount, row.currency),
    balance: money(account?.balance ?? row.initial_amount, row.currency),
    held: money(account?.held ?? 0, row.currency),
    expiresAt: toIso(row.expires_at),
    note: row.note,
    createdAt: toIso(row.created_at),
  };
}

/** Admin: a new card; its code is in this answer and nowhere else. */
export async function issueGiftCard(env: Env, input: IssueGiftCardBody, actor: string | null, now = Date.now()) {
  const expiresAt = input.expiresAt ? Date.parse(input.expiresAt) : null;
  if (expiresAt !== null && expiresAt <= now) throw validationError([{ path: "expiresAt", message: "must be in the future" }]);
  const code = generateGiftCardCode();
  const normalized = normalizeGiftCardCode(code);
  const row: repo.GiftCardRow = {
    id: newId("gft", now),
    last4: normalized.slice(-4),
    currency: input.currency,
    initial_amount: input.amount,
    expires_at: expiresAt,
    created_by: actor,
    note: input.note ?? null,
    created_at: now,
  };
  await repo.insertGiftCard(env.DB, { ...row, codeHash: await giftCardCodeHash(code) });
  return { ...toGiftCard(row, null), code };
}

/** Admin: a card with its live balance. */
export async function getGiftCard(env: Env, id: string): Promise<GiftCard> {
  const row = await repo.findGiftCard(env.DB, id);
  if (!row) throw notFound("Gift card");
  return toGiftCard(row, await snapshotOf(env, row.id));
}

export async function listGiftCards(env: Env, page: { limit: number; cursor?: string }) {
  const after = decodeCardCursor(page.cursor);
  const rows = await repo.listGiftCards(env.DB, after, page.limit + 1);
  const pageRows = rows.slice(0, page.limit);
  const accounts = await Promise.all(pageRows.map((r) => snapshotOf(env, r.id)));
  const last = pageRows.at(-1);
  return { data: pageRows.map((r, i) => toGiftCard(r, accounts[i] ?? null)), nextCursor: rows.length > page.limit && last ? `${last.created_at}:${last.id}` : null };
}

function decodeCardCursor(cursor: string | undefined) {
  if (!cursor) return null;
  const match = /^(\d{1,15}):([A-Za-z0-9_]{1,64})$/.exec(cursor);
  if (!match) throw new AppError("VALIDATION_ERROR", "Invalid cursor", 400, { issues: [{ path: "cursor", message: "Invalid cursor" }] });
  return { createdAt: Number(match[1]), id: match[2]! };
}

async function cardByCode(env: Env, code: string) {
  return repo.findGiftCardByHash(env.DB, await giftCardCodeHash(code));
}

/** Store: what a card can pay now; an unknown code is not found (rate-limited per address). */
export async function giftCardBalance(env: Env, code: string) {
  const row = await cardByCode(env, code);
  if (!row) throw notFound("Gift card");
  const account = await snapshotOf(env, row.id);
  const expired = row.expires_at !== null && row.expires_at <= Date.now();
  return { balance: money(expired ? 0 : (account?.available ?? 0), row.currency), expiresAt: toIso(row.expires_at) };
}

const cardRefused = (reason: "unknown" | "expired" | "empty" | "currency" | "too_many", message: string) =>
  new AppError("VALIDATION_ERROR", message, 422, { reason, issues: [{ path: "code", message: reason }] });

/**
 * Store: puts a card on the customer's cart (it pays when the checkout locks). Two D1 round
 * trips: the cart with the card, then the write with the cart re-read behind it.
 */
export async function applyGiftCard(env: Env, customerId: string, code: string, now = Date.now()): Promise<Cart> {
  const { cart, results } = await cartWith(env, customerId, now, undefined, [repo.findGiftCardByHashStatement(env.DB, await giftCardCodeHash(code))]);
  const row = (results[0]!.results[0] as repo.GiftCardRow | undefined) ?? null;
  if (!row) throw cardRefused("unknown", "No gift card has this code");
  if (row.currency !== cart.currency) throw cardRefused("currency", `The card is in ${row.currency}, the cart in ${cart.currency}`);
  if (row.expires_at !== null && row.expires_at <= now) throw cardRefused("expired", "The gift card has expired");
  const account = await snapshotOf(env, row.id);
  if (!account || account.available <= 0) throw cardRefused("empty", "The gift card has no balance left");
  const { before, loaded } = await loadCart(env, customerId, now, undefined, {
    before: [repo.addActiveCartGiftCardStatement(env.DB, customerId, { id: row.id, last4: row.last4 }, MAX_CART_GIFT_CARDS, now)],
  });
  const onCart = (JSON.parse(loaded.cart.gift_cards || "[]") as { id: string }[]).map((c) => c.id);
  if (before[0]!.meta.changes === 0 && !onCart.includes(row.id) && onCart.length >= MAX_CART_GIFT_CARDS) {
    throw cardRefused("too_many", `A cart holds at most ${MAX_CART_GIFT_CARDS} gift cards`);
  }
  return answerLoaded(env, customerId, loaded, now);
}

/** Store: takes a card off the cart, named by its code or its last four characters. */
export async function removeGiftCard(env: Env, customerId: string, code: string, now = Date.now()): Promise<Cart> {
  const normalized = normalizeGiftCardCode(code);
  const { cart, results } = await cartWith(env, customerId, now, undefined, [repo.findGiftCardByHashStatement(env.DB, await giftCardCodeHash(code))]);
  const onCart = JSON.parse(cart.gift_cards || "[]") as { id: string; last4: string }[];
  const byLast4 = normalized.length === 4 ? onCart.find((c) => c.last4 === normalized) : undefined;
  const byCode = byLast4 ? null : ((results[0]!.results[0] as repo.GiftCardRow | undefined) ?? null);
  const cardId = byLast4?.id ?? byCode?.id;
  if (!cardId) throw notFound("Gift card on the cart");
  const { before, loaded } = await loadCart(env, customerId, now, undefined, { before: [repo.removeCartGiftCardStatement(env.DB, cart.id, cardId, now)] });
  if (before[0]!.meta.changes === 0) throw notFound("Gift card on the cart");
  return answerLoaded(env, customerId, loaded, now);
}

// ── Store credit ─────────────────────────────────────────────────────────────

/** A customer's store credit in one currency, with its newest entries. */
export async function getStoreCredit(env: Env, customerId: string, currency?: string): Promise<StoreCredit> {
  currency ??= (await defaultMarket(env)).region.currency;
  const [account, entries] = await Promise.all([snapshotOf(env, storeCreditAccount(customerId, currency)), repo.creditEntries(env.DB, customerId, currency, 50)]);
  return {
    customerId,
    balance: money(account?.available ?? 0, currency),
    held: money(account?.held ?? 0, currency),
    entries: entries.map((e) => ({ id: e.id, amount: money(e.amount, e.currency), kind: e.kind, reference: e.reference, note: e.note, createdAt: toIso(e.created_at) })),
  };
}

/**
 * Puts credit on a customer's account, once per operation (from the admin's Idempotency-Key when
 * given): the object applies it by that id, and the history row carries the same id.
 */
export async function creditStoreCredit(
  env: Env,
  input: { customerId: string; amount: number; currency: string; kind: "grant" | "refund"; reference: string | null; note: string | null; actor: string | null; opId: string },
  now = Date.now(),
) {
  const accountId = storeCreditAccount(input.customerId, input.currency);
  const result = await withBalance(env, accountId, (s) => s.credit(accountId, input.opId, input.amount));
  if (!result.ok) throw new AppError("INTERNAL", "Store credit account unavailable", 500);
  await repo
    .insertCreditEntryStatement(env.DB, {
      id: input.opId,
      customer_id: input.customerId,
      currency: input.currency,
      amount: input.amount,
      kind: input.kind,
      reference: input.reference,
      note: input.note,
      created_at: now,
      actor: input.actor,
    })
    .run();
}

/** Admin: grants store credit to a customer. */
export async function grantStoreCredit(env: Env, input: { customerId: string; amount: number; currency: string; note?: string; actor: string | null; idempotencyKey?: string }, now = Date.now()) {
  if (!(await repo.customerExists(env.DB, input.customerId))) throw notFound("Customer");
  const opId = input.idempotencyKey ? `scr_k${(await sha256Hex(`credit:${input.customerId}:${input.idempotencyKey}`)).slice(0, 32)}` : newId("scr", now);
  await creditStoreCredit(env, { ...input, kind: "grant", reference: null, note: input.note ?? null, opId }, now);
  return getStoreCredit(env, input.customerId, input.currency);
}

/** Store: the cart's store credit pays (as much as it can of) the cart when the checkout locks. */
export async function useStoreCredit(env: Env, customerId: string, use: boolean, now = Date.now()): Promise<Cart> {
  if (use) {
    const cart = await activeCart(env, customerId, now);
    const account = await snapshotOf(env, storeCreditAccount(customerId, cart.currency));
    if (!account || account.available <= 0) throw validationError([{ path: "storeCredit", message: "no store credit available" }]);
  }
  const { loaded } = await loadCart(env, customerId, now, undefined, { before: [repo.setActiveCartStoreCreditStatement(env.DB, customerId, use, now)] });
  return answerLoaded(env, customerId, loaded, now);
}
