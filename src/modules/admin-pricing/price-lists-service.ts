/** Price lists for customer groups: versioned rows (If-Match on PATCH), groups and prices replaced as sets. */
import { notFound, validationError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { toIso } from "../../lib/time";
import { mapConstraint, versionConflict } from "../admin-catalog/shared";
import * as repo from "./price-lists-repo";
import type { CreatePriceListBody, PriceList, UpdatePriceListBody } from "./schemas";
import { afterId, isoOrNull, msOrNull, pageFrom } from "./shared";

type Members = Awaited<ReturnType<typeof repo.membersOf>>;

function toPriceList(row: repo.PriceListRow, members: Members): PriceList {
  return {
    id: row.id,
    name: row.name,
    currency: row.currency,
    priority: row.priority,
    startsAt: isoOrNull(row.starts_at),
    endsAt: isoOrNull(row.ends_at),
    status: row.status,
    groupIds: members.groups.filter((g) => g.listId === row.id).map((g) => g.groupId),
    prices: members.prices.filter((p) => p.listId === row.id).map((p) => ({ variantId: p.variantId, amount: p.amount })),
    version: row.version,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function checkWindow(fields: repo.ListFields) {
  if (fields.starts_at !== null && fields.ends_at !== null && fields.ends_at <= fields.starts_at) {
    throw validationError([{ path: "endsAt", message: "must be after startsAt" }]);
  }
}

const constraintFields = { "price_lists.id": "id" };

/** One live price list with its groups and prices. */
export async function getPriceList(env: Env, id: string): Promise<PriceList> {
  const row = await repo.findList(env.DB, id);
  if (!row) throw notFound("Price list");
  return toPriceList(row, await repo.membersOf(env.DB, [id]));
}

/** A page of live price lists, newest first, each with its groups and prices. */
export async function listPriceLists(env: Env, page: { limit: number; cursor?: string }) {
  const rows = await repo.listLists(env.DB, afterId(page.cursor), page.limit + 1);
  const members = await repo.membersOf(env.DB, rows.slice(0, page.limit).map((r) => r.id));
  return pageFrom(rows, page.limit, (row) => toPriceList(row, members));
}

/** Creates a list with its groups and prices in one batch; unknown groups or variants are a 422. */
export async function createPriceList(env: Env, input: CreatePriceListBody, now = Date.now()): Promise<PriceList> {
  const id = newId("pl", now);
  const fields: repo.ListFields = { ...input, starts_at: msOrNull(input.startsAt), ends_at: msOrNull(input.endsAt) };
  checkWindow(fields);
  await env.DB.batch([repo.insertList(env.DB, id, fields, now), ...repo.replaceMembers(env.DB, id, 1, now, input.groupIds, input.prices)]).catch((e: unknown) =>
    mapConstraint(e, constraintFields, "groupIds/prices"),
  );
  return getPriceList(env, id);
}

/** Updates a list at the version the caller read (If-Match); stale → 409 VERSION_CONFLICT. */
export async function updatePriceList(env: Env, id: string, expected: number, input: UpdatePriceListBody, now = Date.now()): Promise<PriceList> {
  const row = await repo.findList(env.DB, id);
  if (!row) throw notFound("Price list");
  if (row.version !== expected) throw versionConflict(row.version);
  const fields: repo.ListFields = {
    name: input.name ?? row.name,
    currency: input.currency ?? row.currency,
    priority: input.priority ?? row.priority,
    starts_at: input.startsAt === undefined ? row.starts_at : msOrNull(input.startsAt),
    ends_at: input.endsAt === undefined ? row.ends_at : msOrNull(input.endsAt),
    status: input.status ?? row.status,
  };
  checkWindow(fields);
  const [update] = await env.DB.batch([
    repo.updateList(env.DB, id, expected, fields, now),
    ...repo.replaceMembers(env.DB, id, expected + 1, now, input.groupIds, input.prices),
  ]).catch((e: unknown) => mapConstraint(e, constraintFields, "groupIds/prices"));
  if (update!.meta.changes !== 1) throw versionConflict((await repo.findList(env.DB, id))?.version ?? expected);
  return getPriceList(env, id);
}

/** Soft-deletes a list: it stops pricing at once. */
export async function deletePriceList(env: Env, id: string, now = Date.now()): Promise<void> {
  if (!(await repo.softDelete(env.DB, id, now))) throw notFound("Price list");
}
