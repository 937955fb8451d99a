/** Discounts admin: kind, value and rules validated by the engine's DiscountDefinition; codes unique and upper-case. */
import { notFound, validationError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { toIso } from "../../lib/time";
import { mapConstraint, versionConflict } from "../admin-catalog/shared";
import { DiscountDefinition } from "../pricing/schemas";
import * as repo from "./discounts-repo";
import type { CreateDiscountBody, Discount, UpdateDiscountBody } from "./schemas";
import { afterId, isoOrNull, msOrNull, pageFrom } from "./shared";

function toDiscount(row: repo.DiscountRow): Discount {
  return {
    id: row.id,
    code: row.code,
    title: row.title,
    kind: row.kind,
    value: row.value,
    rules: JSON.parse(row.rules) as Record<string, unknown>,
    isAutomatic: row.is_automatic === 1,
    priority: row.priority,
    stackable: row.stackable === 1,
    startsAt: isoOrNull(row.starts_at),
    endsAt: isoOrNull(row.ends_at),
    usageLimit: row.usage_limit,
    usageCount: row.usage_count,
    perCustomerLimit: row.per_customer_limit,
    status: row.status,
    version: row.version,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

type Merged = Omit<Discount, "id" | "usageCount" | "version" | "createdAt" | "updatedAt">;

/** Validates the whole discount as it will be stored and maps it to columns. */
function toFields(d: Merged): repo.DiscountFields {
  const definition = DiscountDefinition.safeParse({ kind: d.kind, value: d.value, rules: d.rules });
  if (!definition.success) throw validationError(definition.error);
  if (!d.isAutomatic && !d.code) throw validationError([{ path: "code", message: "a discount that is not automatic needs a code" }]);
  const startsAt = msOrNull(d.startsAt);
  const endsAt = msOrNull(d.endsAt);
  if (startsAt !== null && endsAt !== null && endsAt <= startsAt) throw validationError([{ path: "endsAt", message: "must be after startsAt" }]);
  return {
    code: d.code ? d.code.toUpperCase() : null,
    title: d.title,
    kind: definition.data.kind,
    value: definition.data.value,
    rules: JSON.stringify(definition.data.rules),
    is_automatic: d.isAutomatic ? 1 : 0,
    priority: d.priority,
    stackable: d.stackable ? 1 : 0,
    starts_at: startsAt,
    ends_at: endsAt,
    usage_limit: d.usageLimit,
    per_customer_limit: d.perCustomerLimit,
    status: d.status,
  };
}

const codeTaken = (e: unknown): never => mapConstraint(e, { "discounts.code": "code" });

/** One live discount. */
export async function getDiscount(env: Env, id: string): Promise<Discount> {
  const row = await repo.findDiscount(env.DB, id);
  if (!row) throw notFound("Discount");
  return toDiscount(row);
}

/** A page of live discounts, newest first. */
export async function listDiscounts(env: Env, page: { limit: number; cursor?: string }) {
  const rows = await repo.listDiscounts(env.DB, afterId(page.cursor), page.limit + 1);
  return pageFrom(rows, page.limit, toDiscount);
}

/** Creates a discount; a taken code is a 409. */
export async function createDiscount(env: Env, input: CreateDiscountBody, now = Date.now()): Promise<Discount> {
  const id = newId("disc", now);
  await repo.insertDiscount(env.DB, id, toFields(input), now).catch(codeTaken);
  return getDiscount(env, id);
}

/** Updates at the version the caller read (If-Match); stale → 409 VERSION_CONFLICT with the current version. */
export async function updateDiscount(env: Env, id: string, expected: number, input: UpdateDiscountBody, now = Date.now()): Promise<Discount> {
  const current = await getDiscount(env, id);
  if (current.version !== expected) throw versionConflict(current.version);
  const fields = toFields({ ...current, ...input });
  if (!(await repo.updateDiscount(env.DB, id, expected, fields, now).catch(codeTaken))) {
    throw versionConflict((await repo.findDiscount(env.DB, id))?.version ?? expected);
  }
  return getDiscount(env, id);
}

/** Soft-deletes a discount: it stops applying at once and its code can be reused. */
export async function deleteDiscount(env: Env, id: string, now = Date.now()): Promise<void> {
  if (!(await repo.softDelete(env.DB, id, now))) throw notFound("Discount");
}
