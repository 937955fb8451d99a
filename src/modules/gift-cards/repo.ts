/** D1 access for gift cards (hashed codes, never the codes), store-credit history and balance refunds. */

export type GiftCardRow = {
  id: string;
  last4: string;
  currency: string;
  initial_amount: number;
  expires_at: number | null;
  created_by: string | null;
  note: string | null;
  created_at: number;
};
const CARD_COLUMNS = "id, last4, currency, initial_amount, expires_at, created_by, note, created_at";

export async function insertGiftCard(d1: D1Database, card: GiftCardRow & { codeHash: string }) {
  await d1
    .prepare(
      `INSERT INTO gift_cards (id, code_hash, last4, currency, initial_amount, expires_at, created_by, note, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(card.id, card.codeHash, card.last4, card.currency, card.initial_amount, card.expires_at, card.created_by, card.note, card.created_at, card.created_at)
    .run();
}

export function findGiftCard(d1: D1Database, id: string) {
  return d1.prepare(`SELECT ${CARD_COLUMNS} FROM gift_cards WHERE id = ?`).bind(id).first<GiftCardRow>();
}

export function findGiftCardByHash(d1: D1Database, codeHash: string) {
  return findGiftCardByHashStatement(d1, codeHash).first<GiftCardRow>();
}

export const findGiftCardByHashStatement = (d1: D1Database, codeHash: string) => d1.prepare(`SELECT ${CARD_COLUMNS} FROM gift_cards WHERE code_hash = ?`).bind(codeHash);

/** Newest first; keyset on (created_at, id). */
export async function listGiftCards(d1: D1Database, after: { createdAt: number; id: string } | null, limit: number) {
  const where = after ? "WHERE (created_at, id) < (?, ?)" : "";
  const { results } = await d1
    .prepare(`SELECT ${CARD_COLUMNS} FROM gift_cards ${where} ORDER BY created_at DESC, id DESC LIMIT ?`)
    .bind(...(after ? [after.createdAt, after.id] : []), limit)
    .all<GiftCardRow>();
  return results;
}

// ── The cart's balances ──────────────────────────────────────────────────────

/** Adds the card to the active cart unless it is there or the cart holds `max`; false when not added. */
export async function addCartGiftCard(d1: D1Database, cartId: string, card: { id: string; last4: string }, max: number, now: number): Promise<boolean> {
  const result = await d1
    .prepare(
      `UPDATE carts SET gift_cards = json_insert(gift_cards, '$[#]', json(?)), updated_at = ?, version = version + 1
       WHERE id = ? AND status = 'active' AND json_array_length(gift_cards) < ?
         AND NOT EXISTS (SELECT 1 FROM json_each(carts.gift_cards) WHERE json_extract(value, '$.id') = ?)`,
    )
    .bind(JSON.stringify(card), now, cartId, max, card.id)
    .run();
  return result.meta.changes > 0;
}

/** Puts the card on the customer's active cart unless it holds it already or holds `max` cards (no row changes then). */
export function addActiveCartGiftCardStatement(d1: D1Database, customerId: string, card: { id: string; last4: string }, max: number, now: number) {
  return d1
    .prepare(
      `UPDATE carts SET gift_cards = json_insert(gift_cards, '$[#]', json(?)), updated_at = ?, version = version + 1
       WHERE customer_id = ? AND status = 'active' AND json_array_length(gift_cards) < ?
         AND NOT EXISTS (SELECT 1 FROM json_each(carts.gift_cards) WHERE json_extract(value, '$.id') = ?)`,
    )
    .bind(JSON.stringify(card), now, customerId, max, card.id);
}

/** Sets whether the customer's active cart spends store credit. */
export const setActiveCartStoreCreditStatement = (d1: D1Database, customerId: string, use: boolean, now: number) =>
  d1.prepare("UPDATE carts SET use_store_credit = ?, updated_at = ?, version = version + 1 WHERE customer_id = ? AND status = 'active'").bind(use ? 1 : 0, now, customerId);

/** Takes the card off the cart; false when the cart does not hold it. */
export async function removeCartGiftCard(d1: D1Database, cartId: string, cardId: string, now: number): Promise<boolean> {
  const result = await removeCartGiftCardStatement(d1, cartId, cardId, now).run();
  return result.meta.changes > 0;
}

/** Takes the card off the cart (no row changes when the cart does not hold it). */
export function removeCartGiftCardStatement(d1: D1Database, cartId: string, cardId: string, now: number) {
  return d1
    .prepare(
      `UPDATE carts SET gift_cards = (SELECT COALESCE(json_group_array(json(value)), '[]') FROM json_each(carts.gift_cards) WHERE json_extract(value, '$.id') <> ?),
         updated_at = ?, version = version + 1
       WHERE id = ? AND status = 'active' AND EXISTS (SELECT 1 FROM json_each(carts.gift_cards) WHERE json_extract(value, '$.id') = ?)`,
    )
    .bind(cardId, now, cartId, cardId);
}

export async function setCartStoreCredit(d1: D1Database, cartId: string, use: boolean, now: number) {
  await d1.prepare("UPDATE carts SET use_store_credit = ?, updated_at = ?, version = version + 1 WHERE id = ? AND status = 'active'").bind(use ? 1 : 0, now, cartId).run();
}

// ── Store credit history ─────────────────────────────────────────────────────

export type CreditEntryRow = { id: string; customer_id: string; currency: string; amount: number; kind: "grant" | "refund"; reference: string | null; note: string | null; created_at: number };

/** One entry per operation id (a retried grant is recorded once). */
export function insertCreditEntryStatement(d1: D1Database, e: CreditEntryRow & { actor: string | null }) {
  return d1
    .prepare(
      `INSERT INTO store_credit_entries (id, customer_id, currency, amount, kind, reference, actor, note, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    )
    .bind(e.id, e.customer_id, e.currency, e.amount, e.kind, e.reference, e.actor, e.note, e.created_at);
}

export async function creditEntries(d1: D1Database, customerId: string, currency: string, limit: number) {
  const { results } = await d1
    .prepare("SELECT id, customer_id, currency, amount, kind, reference, note, created_at FROM store_credit_entries WHERE customer_id = ? AND currency = ? ORDER BY created_at DESC, id DESC LIMIT ?")
    .bind(customerId, currency, limit)
    .all<CreditEntryRow>();
  return results;
}

export async function customerExists(d1: D1Database, customerId: string) {
  return (await d1.prepare("SELECT 1 AS ok FROM users WHERE id = ?").bind(customerId).first()) != null;
}
