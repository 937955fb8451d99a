/**
 * Admin management of the market configuration: regions, tax rates and shipping methods. Every
 * write starts a new catalog generation, so the store's cached configuration and every cached
 * catalog answer priced with it are replaced at once.
 */
import { AppError, conflict, notFound, validationError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { afterWrite, isUniqueViolation, writeSession, type Written } from "../admin-catalog/shared";
import * as repo from "./repo";
import type {
  AdminRegion,
  CreateRegionBody,
  CreateShippingMethodBody,
  CreateTaxRateBody,
  ShippingMethod,
  TaxRate,
  UpdateRegionBody,
  UpdateShippingMethodBody,
  UpdateTaxRateBody,
} from "./schemas";

/** Every write here changes the market configuration the store reads through the cache. */
const MARKETS = { markets: true };

// ── Regions ──────────────────────────────────────────────────────────────────

export const listRegions = (env: Env) => repo.listRegions(env.DB.withSession("first-primary"));

export async function getRegion(env: Env, code: string): Promise<AdminRegion> {
  const region = await repo.findRegion(env.DB.withSession("first-primary"), code);
  if (!region) throw notFound("Region");
  return region;
}

/** The first region becomes the default whatever the body says: the store always has one. */
export async function createRegion(env: Env, input: CreateRegionBody, now = Date.now()): Promise<Written<AdminRegion>> {
  const db = writeSession(env);
  const first = (await repo.listRegions(db)).length === 0;
  const region: AdminRegion = { ...input, isDefault: input.isDefault || first, version: 1 };
  try {
    await repo.insertRegion(db, region, now);
  } catch (error) {
    if (isUniqueViolation(error, "regions.code")) throw conflict(`Region ${input.code} exists`, { field: "code" });
    throw error;
  }
  return afterWrite(env, db, region, [], MARKETS);
}

export async function updateRegion(env: Env, code: string, patch: UpdateRegionBody, now = Date.now()): Promise<Written<AdminRegion>> {
  const db = writeSession(env);
  const current = await repo.findRegion(db, code);
  if (!current) throw notFound("Region");
  const next = { ...current, ...patch, isDefault: current.isDefault || patch.isDefault === true };
  if (!(await repo.updateRegion(db, next, now))) throw notFound("Region");
  return afterWrite(env, db, (await repo.findRegion(db, code))!, [], MARKETS);
}

/** Deletes a region and its shipping methods; the default region cannot go (make another the default first). */
export async function deleteRegion(env: Env, code: string): Promise<Written<null>> {
  const db = writeSession(env);
  const current = await repo.findRegion(db, code);
  if (!current) throw notFound("Region");
  if (current.isDefault) throw conflict("The default region cannot be deleted; make another region the default first");
  if (!(await repo.deleteRegion(db, code))) throw notFound("Region");
  return afterWrite(env, db, null, [], MARKETS);
}

// ── Tax rates ────────────────────────────────────────────────────────────────

const toTaxRate = (r: repo.TaxRateRow): TaxRate => ({ ...r, provinceCode: r.provinceCode === "" ? null : r.provinceCode });

export async function listTaxRates(env: Env): Promise<TaxRate[]> {
  return (await repo.listTaxRates(env.DB.withSession("first-primary"))).map(toTaxRate);
}

export async function createTaxRate(env: Env, input: CreateTaxRateBody, now = Date.now()): Promise<Written<TaxRate>> {
  const db = writeSession(env);
  const row: repo.TaxRateRow = { id: newId("txr", now), countryCode: input.countryCode, provinceCode: input.provinceCode ?? "", taxCategory: input.taxCategory, rateBps: input.rateBps, name: input.name };
  try {
    await repo.insertTaxRate(db, row, now);
  } catch (error) {
    if (isUniqueViolation(error, "tax_rates.country_code")) throw conflict("A rate for this place and category exists; PATCH it", { field: "taxCategory" });
    throw error;
  }
  return afterWrite(env, db, toTaxRate(row), [], MARKETS);
}

export async function updateTaxRate(env: Env, id: string, patch: UpdateTaxRateBody, now = Date.now()): Promise<Written<TaxRate>> {
  const db = writeSession(env);
  if (!(await repo.updateTaxRate(db, id, patch, now))) throw notFound("Tax rate");
  return afterWrite(env, db, toTaxRate((await repo.findTaxRate(db, id))!), [], MARKETS);
}

export async function deleteTaxRate(env: Env, id: string): Promise<Written<null>> {
  const db = writeSession(env);
  if (!(await repo.deleteTaxRate(db, id))) throw notFound("Tax rate");
  return afterWrite(env, db, null, [], MARKETS);
}

// ── Shipping methods ─────────────────────────────────────────────────────────

export const listShippingMethods = (env: Env, regionCode?: string) => repo.listShippingMethods(env.DB.withSession("first-primary"), regionCode);

export async function getShippingMethod(env: Env, id: string): Promise<ShippingMethod> {
  const method = await repo.findShippingMethod(env.DB.withSession("first-primary"), id);
  if (!method) throw notFound("Shipping method");
  return method;
}

function checkCountries(region: AdminRegion, countries: string[]) {
  const outside = countries.filter((c) => region.countries.length > 0 && !region.countries.includes(c));
  if (outside.length > 0) throw validationError([{ path: "countries", message: `not in region ${region.code}: ${outside.join(", ")}` }]);
}

export async function createShippingMethod(env: Env, input: CreateShippingMethodBody, now = Date.now()): Promise<Written<ShippingMethod>> {
  const db = writeSession(env);
  const region = await repo.findRegion(db, input.regionCode);
  if (!region) throw validationError([{ path: "regionCode", message: "no such region" }]);
  checkCountries(region, input.countries);
  const method: ShippingMethod = { id: newId("shm", now), ...input };
  await repo.saveShippingMethod(db, method, now);
  return afterWrite(env, db, method, [], MARKETS);
}

export async function updateShippingMethod(env: Env, id: string, patch: UpdateShippingMethodBody, now = Date.now()): Promise<Written<ShippingMethod>> {
  const db = writeSession(env);
  const current = await repo.findShippingMethod(db, id);
  if (!current) throw notFound("Shipping method");
  const next: ShippingMethod = { ...current, ...patch };
  if (next.kind === "weight" && next.weightRates.length === 0) throw new AppError("VALIDATION_ERROR", "A weight method needs weightRates", 422, { issues: [{ path: "weightRates", message: "a weight method needs weightRates" }] });
  const region = await repo.findRegion(db, next.regionCode);
  if (region) checkCountries(region, next.countries);
  await repo.saveShippingMethod(db, next, now);
  return afterWrite(env, db, next, [], MARKETS);
}

export async function deleteShippingMethod(env: Env, id: string): Promise<Written<null>> {
  const db = writeSession(env);
  if (!(await repo.deleteShippingMethod(db, id))) throw notFound("Shipping method");
  return afterWrite(env, db, null, [], MARKETS);
}
