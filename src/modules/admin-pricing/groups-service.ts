/** Customer groups: CRUD and membership (one group per customer, users.customer_group_id). */
import { conflict, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { toIso } from "../../lib/time";
import { mapConstraint } from "../admin-catalog/shared";
import * as repo from "./groups-repo";
import type { CreateGroupBody, CustomerGroup, UpdateGroupBody } from "./schemas";
import { afterId, pageFrom } from "./shared";

function toGroup(row: repo.GroupRow): CustomerGroup {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    memberCount: row.member_count,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

async function load(env: Env, id: string): Promise<repo.GroupRow> {
  const row = await repo.findGroup(env.DB, id);
  if (!row) throw notFound("Customer group");
  return row;
}

/** One group with its member count. */
export async function getGroup(env: Env, id: string): Promise<CustomerGroup> {
  return toGroup(await load(env, id));
}

/** A page of groups, newest first. */
export async function listGroups(env: Env, page: { limit: number; cursor?: string }) {
  const rows = await repo.listGroups(env.DB, afterId(page.cursor), page.limit + 1);
  return pageFrom(rows, page.limit, toGroup);
}

/** Creates a group; names are unique (409). */
export async function createGroup(env: Env, input: CreateGroupBody, now = Date.now()): Promise<CustomerGroup> {
  const id = newId("cgrp", now);
  await repo.insertGroup(env.DB, { id, name: input.name, description: input.description ?? null, now }).catch((e: unknown) => mapConstraint(e, { "customer_groups.name": "name" }));
  return getGroup(env, id);
}

/** Renames or re-describes a group. */
export async function updateGroup(env: Env, id: string, input: UpdateGroupBody, now = Date.now()): Promise<CustomerGroup> {
  const changed = await repo.updateGroup(env.DB, id, input, now).catch((e: unknown) => mapConstraint(e, { "customer_groups.name": "name" }));
  if (!changed) throw notFound("Customer group");
  return getGroup(env, id);
}

/** Deletes a group that has no members and no price lists (409 otherwise). */
export async function deleteGroup(env: Env, id: string): Promise<void> {
  await load(env, id);
  if (!(await repo.deleteUnusedGroup(env.DB, id))) throw conflict("The group still has members or price lists");
}

/** Puts a customer in the group (moving them out of another); 404 for an unknown group or customer. */
export async function addMember(env: Env, id: string, userId: string, now = Date.now()): Promise<CustomerGroup> {
  await load(env, id);
  if (!(await repo.setMember(env.DB, id, userId, now))) throw notFound("Customer");
  return getGroup(env, id);
}

/** Takes a customer out of the group; 404 when they are not in it. */
export async function removeMember(env: Env, id: string, userId: string, now = Date.now()): Promise<void> {
  await load(env, id);
  if (!(await repo.removeMember(env.DB, id, userId, now))) throw notFound("Group member");
}
