/** D1 access for the dead-letter store. A replay is claimed by a conditional write, so it happens once. */
import type { deadLetters } from "../../db/schema";

export type DeadLetterRow = typeof deadLetters.$inferSelect;
/** A row as D1 answers it: the body still JSON text (or null). */
type StoredDeadLetterRow = Omit<DeadLetterRow, "body"> & { body: string | null };

const COLUMNS = "id, queue, message_id AS messageId, body, reason, created_at AS createdAt, replayed_at AS replayedAt";

const toDeadLetterRow = (row: StoredDeadLetterRow): DeadLetterRow => ({ ...row, body: row.body === null ? null : (JSON.parse(row.body) as unknown) });

/** Records a message once per (queue, message id); returns whether this call recorded it. */
export async function insertDeadLetter(d1: D1Database, row: Omit<DeadLetterRow, "replayedAt">): Promise<boolean> {
  const result = await d1
    .prepare(
      `INSERT INTO dead_letters (id, queue, message_id, body, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (queue, message_id) DO NOTHING`,
    )
    .bind(row.id, row.queue, row.messageId, row.body === null ? null : JSON.stringify(row.body), row.reason, row.createdAt)
    .run();
  return result.meta.changes === 1;
}

export async function findDeadLetter(d1: D1Database, id: string) {
  const row = await d1.prepare(`SELECT ${COLUMNS} FROM dead_letters WHERE id = ?`).bind(id).first<StoredDeadLetterRow>();
  return row && toDeadLetterRow(row);
}

/** The admin list's query, newest first (exported for its EXPLAIN test: it walks an index, no sort). */
export function listDeadLettersQuery(
  filter: { queue?: string; status?: "open" | "replayed" },
  after: { createdAt: number; id: string } | null,
  limit: number,
) {
  const clauses: [string, unknown[]][] = [];
  if (filter.queue) clauses.push(["queue = ?", [filter.queue]]);
  if (filter.status === "open") clauses.push(["replayed_at IS NULL", []]);
  if (filter.status === "replayed") clauses.push(["replayed_at IS NOT NULL", []]);
  if (after) clauses.push(["(created_at < ? OR (created_at = ? AND id < ?))", [after.createdAt, after.createdAt, after.id]]);
  const where = clauses.length ? `WHERE ${clauses.map(([clause]) => clause).join(" AND ")}` : "";
  return {
    sql: `SELECT ${COLUMNS} FROM dead_letters ${where} ORDER BY created_at DESC, id DESC LIMIT ?`,
    params: [...clauses.flatMap(([, args]) => args), limit],
  };
}

export async function listDeadLetters(
  d1: D1Database,
  filter: { queue?: string; status?: "open" | "replayed" },
  after: { createdAt: number; id: string } | null,
  limit: number,
) {
  const { sql, params } = listDeadLettersQuery(filter, after, limit);
  const { results } = await d1.prepare(sql).bind(...params).all<StoredDeadLetterRow>();
  return results.map(toDeadLetterRow);
}

/** Takes the row for its one replay; null when it was replayed already (or is unknown). */
export async function claimReplay(d1: D1Database, id: string, now: number): Promise<DeadLetterRow | null> {
  const row = await d1
    .prepare(`UPDATE dead_letters SET replayed_at = ? WHERE id = ? AND replayed_at IS NULL RETURNING ${COLUMNS}`)
    .bind(now, id)
    .first<StoredDeadLetterRow>();
  return row && toDeadLetterRow(row);
}

/** Gives a claimed replay back when the message could not be sent, so it can be replayed again. */
export async function releaseReplay(d1: D1Database, id: string, claimedAt: number) {
  await d1.prepare("UPDATE dead_letters SET replayed_at = NULL WHERE id = ? AND replayed_at = ?").bind(id, claimedAt).run();
}
