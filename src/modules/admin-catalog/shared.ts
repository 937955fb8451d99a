/** Helpers every admin catalog write shares: sessions, If-Match, constraint errors, slugs, cache bump. */
import { AppError, conflict, validationError } from "../../lib/errors";
import { bumpGeneration } from "../catalog/cache";

/** Writes go to the primary; the session's bookmark lets the writer's next read see the write. */
export function writeSession(env: Env) {
  return env.DB.withSession("first-primary");
}

export type Written<T> = { value: T; bookmark: string | null };

/**
 * Ends an admin write: new catalog generation (anchored at the write's bookmark), old keys dropped;
 * `markets` when it changed the market configuration (its cached copy is then read again).
 */
export async function afterWrite<T>(env: Env, session: D1DatabaseSession, value: T, staleKeys: string[] = [], opts: { markets?: boolean } = {}): Promise<Written<T>> {
  const bookmark = session.getBookmark();
  await bumpGeneration(env, bookmark, staleKeys, opts);
  return { value, bookmark };
}

/** `If-Match: "3"` (or W/"3", or 3) → 3; absent → 428; unreadable → 400. */
export function parseIfMatch(header: string | undefined | null): number {
  if (!header) throw new AppError("PRECONDITION_REQUIRED", "If-Match with the current version is required", 428);
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (!match) throw new AppError("VALIDATION_ERROR", 'If-Match must be a version like "3"', 400);
  return Number(match[1]);
}

/** Optional If-Match for rows where locking is offered but not required (categories, collections). */
export function optionalIfMatch(header: string | undefined | null): number | null {
  return header ? parseIfMatch(header) : null;
}

export function versionConflict(currentVersion: number): AppError {
  return new AppError("VERSION_CONFLICT", "The resource was changed by someone else", 409, { currentVersion });
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return "";
  return `${error.message} ${error.cause instanceof Error ? error.cause.message : ""}`;
}

/** Maps SQLite constraint failures to the documented answers; anything else is rethrown. */
export function mapConstraint(error: unknown, fields: Record<string, string>, foreignKeyField = "id"): never {
  const message = messageOf(error);
  for (const [column, field] of Object.entries(fields)) {
    if (message.includes(`UNIQUE constraint failed: ${column}`)) throw conflict(`${field} is already taken`, { field });
  }
  if (message.includes("FOREIGN KEY constraint failed")) {
    throw validationError([{ path: foreignKeyField, message: "refers to something that does not exist" }]);
  }
  throw error;
}

export function isUniqueViolation(error: unknown, column: string): boolean {
  return messageOf(error).includes(`UNIQUE constraint failed: ${column}`);
}

/** "Café Crème, 250 g" → "cafe-creme-250-g". */
export function slugify(text: string): string {
  const slug = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80)
    .replace(/-+$/, "");
  return slug || "item";
}

/** A generated slug that collided gets a short random suffix; an explicit one never changes. */
export async function withUniqueSlug<T>(base: string, explicit: boolean, column: string, attempt: (slug: string) => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    const slug = tries === 0 ? base : `${base}-${Math.random().toString(36).slice(2, 7)}`;
    try {
      return await attempt(slug);
    } catch (error) {
      if (explicit || tries >= 4 || !isUniqueViolation(error, column)) throw error;
    }
  }
}
