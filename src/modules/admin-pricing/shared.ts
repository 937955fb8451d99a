/** Helpers the pricing admin shares: id cursors, instants, constraint errors. */
import * as z from "zod";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { toIso } from "../../lib/time";

const IdCursor = z.object({ id: z.string().min(1).max(64) });

/** The id to continue after (newest first), or null on the first page; a tampered cursor is a 400. */
export function afterId(cursor: string | undefined): string | null {
  return decodeCursor(cursor, IdCursor)?.id ?? null;
}

/** Cuts a `limit + 1` read into a page and the cursor of the next one. */
export function pageFrom<T extends { id: string }, U>(rows: T[], limit: number, map: (row: T) => U) {
  const page = rows.slice(0, limit);
  const next = rows.length > limit ? page.at(-1) : undefined;
  return { data: page.map(map), nextCursor: next ? encodeCursor({ id: next.id }) : null };
}

export const isoOrNull = (ms: number | null) => (ms === null ? null : toIso(ms));
export const msOrNull = (iso: string | null | undefined) => (iso === null || iso === undefined ? null : Date.parse(iso));

/** D1 binds at most 100 parameters per statement. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
