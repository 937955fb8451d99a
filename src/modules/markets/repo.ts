/**
 * D1 access for markets: the market configuration the store reads on every request (regions,
 * tax rates, shipping methods — small tables, loaded together in one batch and cached), and the
 * admin writes to it.
 */
import type { D1Like } from "../catalog/repo";
import type { AdminRegion, ShippingMethod } from "./schemas";

export type TaxRateRow = { id: string; countryCode: string; provinceCode: string; taxCategory: string; rateBps: number; name: string };
export type MarketConfig = { regions: AdminRegion[]; taxRates: TaxRateRow[]; shippingMethods: ShippingMethod[] };

type RegionRow = { code: string; name: string; currency: string; countries: string; tax_inclusive: number; is_default: number; position: number; version: number };
type MethodRow = Omit<ShippingMethod, "weightRates" | "countries"> & { weightRates: string; countries: string };

const REGION_COLUMNS = "code, name, currency, countries, tax_inclusive, is_default, position, version";
const REGION_SQL = `SELECT ${REGION_COLUMNS} FROM regions ORDER BY position, code LIMIT 200`;
const TAX_COLUMNS = "id, country_code AS countryCode, province_code AS provinceCode, tax_category AS taxCategory, rate_bps AS rateBps, name";
const TAX_SQL = `SELECT ${TAX_COLUMNS} FROM tax_rates ORDER BY country_code, province_code, tax_category LIMIT 5000`;
const METHOD_COLUMNS = `id, region_code AS regionCode, name, kind, amount, weight_rates AS weightRates, free_over AS freeOver,
  estimated_days AS estimatedDays, countries, status, position`;
const METHOD_SQL = `SELECT ${METHOD_COLUMNS} FROM shipping_methods ORDER BY region_code, position, id LIMIT 1000`;

const parseList = <T>(json: string): T[] => {
  const value = JSON.parse(json) as unknown;
  return Array.isArray(value) ? (value as T[]) : [];
};

export const toRegion = (r: RegionRow): AdminRegion => ({
  code: r.code,
  name: r.name,
  currency: r.currency,
  countries: parseList<string>(r.countries),
  taxInclusive: r.tax_inclusive === 1,
  isDefault: r.is_default === 1,
  position: r.position,
  version: r.version,
});

export const toMethod = (r: MethodRow): ShippingMethod => ({ ...r, weightRates: parseList(r.weightRates), countries: parseList<string>(r.countries) });

/** The whole market configuration in one batch (bounded: regions, rates and methods are few). */
export async function loadMarketConfig(db: D1Like): Promise<MarketConfig> {
  const [regions, rates, methods] = await db.batch([db.prepare(REGION_SQL), db.prepare(TAX_SQL), db.prepare(METHOD_SQL)]);
  return {
    regions: (regions!.results as RegionRow[]).map(toRegion),
    taxRates: rates!.results as TaxRateRow[],
    shippingMethods: (methods!.results as MethodRow[]).map(toMethod),
  };
}

// ── Regions ──────────────────────────────────────────────────────────────────

export function findRegion(db: D1Like, code: string) {
  return db.prepare(`SELECT ${REGION_COLUMNS} FROM regions WHERE code = ?`).bind(code).first<RegionRow>().then((r) => (r ? toRegion(r) : null));
}

export async function listRegions(db: D1Like): Promise<AdminRegion[]> {
  return ((await db.prepare(REGION_SQL).all<RegionRow>()).results).map(toRegion);
}

const clearDefault = (db: D1Like, code: string, now: number) =>
  db.prepare("UPDATE regions SET is_default = 0, updated_at = ?, version = version + 1 WHERE is_default = 1 AND code <> ?").bind(now, code);

/** Inserts a region; a new default takes over from the old one in the same batch. */
export async function insertRegion(db: D1Like, r: AdminRegion, now: number): Promise<void> {
  const insert = db
    .prepare(
      `INSERT INTO regions (code, name, currency, countries, tax_inclusive, is_default, position, version, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
    )
    .bind(r.code, r.name, r.currency, JSON.stringify(r.countries), r.taxInclusive ? 1 : 0, r.isDefault ? 1 : 0, r.position, now, now);
  await db.batch(r.isDefault ? [clearDefault(db, r.code, now), insert] : [insert]);
}

export async function updateRegion(db: D1Like, r: AdminRegion, now: number): Promise<boolean> {
  const update = db
    .prepare(
      `UPDATE regions SET name = ?, currency = ?, countries = ?, tax_inclusive = ?, is_default = ?, position = ?, version = version + 1, updated_at = ?
       WHERE code = ? RETURNING code`,
    )
    .bind(r.name, r.currency, JSON.stringify(r.countries), r.taxInclusive ? 1 : 0, r.isDefault ? 1 : 0, r.position, now, r.code);
  const results = await db.batch(r.isDefault ? [clearDefault(db, r.code, now), update] : [update]);
  return results.at(-1)!.results.length === 1;
}

/** Deletes a region that is not the default, with its shipping methods. */
export async function deleteRegion(db: D1Like, code: string): Promise<boolean> {
  const [deleted] = await db.batch([
    db.prepare("DELETE FROM regions WHERE code = ? AND is_default = 0 RETURNING code").bind(code),
    db.prepare("DELETE FROM shipping_methods WHERE region_code = ? AND NOT EXISTS (SELECT 1 FROM regions WHERE code = ?)").bind(code, code),
  ]);
  return deleted!.results.length === 1;
}

// ── Tax rates ────────────────────────────────────────────────────────────────

export async function listTaxRates(db: D1Like): Promise<TaxRateRow[]> {
  return (await db.prepare(TAX_SQL).all<TaxRateRow>()).results;
}

export function findTaxRate(db: D1Like, id: string) {
  return db.prepare(`SELECT ${TAX_COLUMNS} FROM tax_rates WHERE id = ?`).bind(id).first<TaxRateRow>();
}

export async function insertTaxRate(db: D1Like, r: TaxRateRow, now: number): Promise<void> {
  await db
    .prepare("INSERT INTO tax_rates (id, country_code, province_code, tax_category, rate_bps, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    .bind(r.id, r.countryCode, r.provinceCode, r.taxCategory, r.rateBps, r.name, now, now)
    .run();
}

export async function updateTaxRate(db: D1Like, id: string, patch: { rateBps?: number; name?: string }, now: number): Promise<boolean> {
  const row = await db
    .prepare("UPDATE tax_rates SET rate_bps = coalesce(?, rate_bps), name = coalesce(?, name), updated_at = ? WHERE id = ? RETURNING id")
    .bind(patch.rateBps ?? null, patch.name ?? null, now, id)
    .first();
  return row !== null;
}

export async function deleteTaxRate(db: D1Like, id: string): Promise<boolean> {
  return (await db.prepare("DELETE FROM tax_rates WHERE id = ? RETURNING id").bind(id).first()) !== null;
}

// ── Shipping methods ─────────────────────────────────────────────────────────

export async function listShippingMethods(db: D1Like, regionCode?: string): Promise<ShippingMethod[]> {
  const statement = regionCode
    ? db.prepare(`SELECT ${METHOD_COLUMNS} FROM shipping_methods WHERE region_code = ? ORDER BY position, id LIMIT 1000`).bind(regionCode)
    : db.prepare(METHOD_SQL);
  return (await statement.all<MethodRow>()).results.map(toMethod);
}

export async function findShippingMethod(db: D1Like, id: string): Promise<ShippingMethod | null> {
  const row = await db.prepare(`SELECT ${METHOD_COLUMNS} FROM shipping_methods WHERE id = ?`).bind(id).first<MethodRow>();
  return row ? toMethod(row) : null;
}

/** Inserts or replaces a method with all its fields (the service merged a PATCH into the row). */
export async function saveShippingMethod(db: D1Like, m: ShippingMethod, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO shipping_methods (id, region_code, name, kind, amount, weight_rates, free_over, estimated_days, countries, status, position, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, amount = excluded.amount, weight_rates = excluded.weight_rates,
         free_over = excluded.free_over, estimated_days = excluded.estimated_days, countries = excluded.countries, status = excluded.status,
         position = excluded.position, updated_at = excluded.updated_at`,
    )
    .bind(m.id, m.regionCode, m.name, m.kind, m.amount, JSON.stringify(m.weightRates), m.freeOver, m.estimatedDays, JSON.stringify(m.countries), m.status, m.position, now, now)
    .run();
}

export async function deleteShippingMethod(db: D1Like, id: string): Promise<boolean> {
  return (await db.prepare("DELETE FROM shipping_methods WHERE id = ? RETURNING id").bind(id).first()) !== null;
}
