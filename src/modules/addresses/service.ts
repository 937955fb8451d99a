/**
 * The customer's address book. Every read and write is scoped to the owner in SQL, so another
 * customer's address answers exactly like one that does not exist (404). Carts and orders keep
 * copies, so editing or deleting an entry never changes an order.
 */
import { AppError, notFound, validationError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { AddressInput } from "../markets/schemas";
import * as repo from "./repo";
import { MAX_ADDRESSES, type AddressBookEntry, type UpdateAddressBody } from "./schemas";

type Page = { limit: number; cursor?: string };

function decodeCursor(cursor: string | undefined) {
  if (!cursor) return null;
  const match = /^(\d{1,15}):(adr_[0-9A-Z]{26})$/.exec(cursor);
  if (!match) throw new AppError("VALIDATION_ERROR", "Invalid cursor", 400, { issues: [{ path: "cursor", message: "Invalid cursor" }] });
  return { createdAt: Number(match[1]), id: match[2]! };
}

/** A page of the customer's addresses, newest first. */
export async function listAddresses(env: Env, customerId: string, page: Page) {
  const rows = await repo.listAddresses(env.DB, customerId, page.limit + 1, decodeCursor(page.cursor));
  const shown = rows.slice(0, page.limit);
  const last = shown.at(-1);
  return { data: shown.map(repo.toAddress) as AddressBookEntry[], nextCursor: rows.length > page.limit && last ? `${last.created_at}:${last.id}` : null };
}

export async function getAddress(env: Env, customerId: string, id: string): Promise<AddressBookEntry> {
  const address = await repo.findAddress(env.DB, id, customerId);
  if (!address) throw notFound("Address");
  return address as AddressBookEntry;
}

export async function createAddress(env: Env, customerId: string, input: AddressInput, now = Date.now()): Promise<AddressBookEntry> {
  if ((await repo.countAddresses(env.DB, customerId)) >= MAX_ADDRESSES) {
    throw validationError([{ path: "addresses", message: `an address book holds at most ${MAX_ADDRESSES} addresses` }]);
  }
  return (await repo.insertAddress(env.DB, newId("adr", now), customerId, input, now)) as AddressBookEntry;
}

export async function updateAddress(env: Env, customerId: string, id: string, patch: UpdateAddressBody, now = Date.now()): Promise<AddressBookEntry> {
  const current = await getAddress(env, customerId, id);
  const { id: _id, ...fields } = current;
  const merged = { ...fields, ...Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, v ?? null])) } as typeof fields;
  const updated = await repo.updateAddress(env.DB, id, customerId, merged, now);
  if (!updated) throw notFound("Address");
  return updated as AddressBookEntry;
}

export async function deleteAddress(env: Env, customerId: string, id: string): Promise<void> {
  if (!(await repo.deleteAddress(env.DB, id, customerId))) throw notFound("Address");
}
