/**
 * Deterministic seed generator: the same options always produce the same SQL, byte for byte.
 * Every INSERT is `INSERT OR IGNORE` with fixed ids, so applying the seed twice changes nothing,
 * and no statement carries more than 100 values (D1's bound-parameter limit), so the same
 * chunks can be sent as prepared statements too.
 */
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { REGIONS, buildPrices, buildShippingMethods, buildTaxRates, buildTranslations } from "./seed-markets.mjs";

const MAX_VALUES_PER_STATEMENT = 100;
const BASE_TIME = Date.UTC(2026, 0, 1);
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** mulberry32: small, fast, good enough for fixtures, and the same on every machine. */
export function createRng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

/** Same layout as src/lib/ids.ts (time + randomness in Crockford base32), from the seeded RNG. */
function makeId(rng, prefix, ms) {
  let time = "";
  let value = ms;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[value % 32] + time;
    value = Math.floor(value / 32);
  }
  let random = "";
  for (let i = 0; i < 16; i++) random += ALPHABET[rng.int(0, 31)];
  return `${prefix}_${time}${random}`;
}

function sqlValue(value) {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "1" : "0";
  return `'${String(value).replaceAll("'", "''")}'`;
}

/** Multi-row INSERT OR IGNOREs with at most MAX_VALUES_PER_STATEMENT values each. */
export function insertStatements(table, columns, rows) {
  const rowsPerStatement = Math.max(1, Math.floor(MAX_VALUES_PER_STATEMENT / columns.length));
  const statements = [];
  for (let i = 0; i < rows.length; i += rowsPerStatement) {
    const chunk = rows.slice(i, i + rowsPerStatement);
    const values = chunk.map((row) => `(${columns.map((c) => sqlValue(row[c])).join(", ")})`).join(",\n  ");
    statements.push(`INSERT OR IGNORE INTO ${table} (${columns.join(", ")}) VALUES\n  ${values};`);
  }
  return statements;
}

/** Same format as src/modules/auth/passwords.ts. */
export function hashPassword(password, salt = randomBytes(16)) {
  const hash = pbkdf2Sync(password, salt, 100_000, 32, "sha256");
  return `pbkdf2_sha256$100000$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

const ADJECTIVES = ["Classic", "Modern", "Vintage", "Organic", "Urban", "Alpine", "Coastal", "Nordic", "Rustic", "Essential", "Premium", "Everyday", "Travel", "Studio", "Heritage", "Trail"];
const NOUNS = ["Backpack", "Jacket", "Sneaker", "Mug", "Lamp", "Notebook", "Headphones", "Watch", "Scarf", "Bottle", "Chair", "Blanket", "Sunglasses", "Wallet", "Tee", "Hoodie", "Candle", "Kettle", "Speaker", "Desk"];
const MATERIALS = ["cotton", "wool", "leather", "recycled polyester", "oak", "ceramic", "steel", "linen", "bamboo", "canvas"];
const COLORS = ["Black", "White", "Navy", "Olive", "Sand", "Red", "Grey", "Teal"];
const SIZES = ["XS", "S", "M", "L", "XL"];
const TAX_RATES = [0, 500, 1000, 2000];

const CATEGORY_TREE = [
  ["Apparel", ["Jackets", "Tops", "Accessories"]],
  ["Footwear", ["Sneakers", "Boots"]],
  ["Home", ["Kitchen", "Lighting", "Furniture"]],
  ["Electronics", ["Audio", "Wearables"]],
  ["Outdoors", ["Bags", "Hydration"]],
  ["Stationery", ["Notebooks", "Desk"]],
];
const COLLECTIONS = ["New Arrivals", "Best Sellers", "Gift Ideas", "Summer Edit", "Staff Picks"];

const TRANSLATION_COLUMNS = ["entity_type", "entity_id", "locale", "title", "description", "updated_at"];

const slugify = (text) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

function buildCategories(rng) {
  const rows = [];
  const leaves = [];
  CATEGORY_TREE.forEach(([parentName, children], p) => {
    const parentId = makeId(rng, "cat", BASE_TIME + p);
    rows.push({ id: parentId, parent_id: null, slug: slugify(parentName), name: parentName, position: p });
    children.forEach((child, c) => {
      const id = makeId(rng, "cat", BASE_TIME + 100 + p * 10 + c);
      rows.push({ id, parent_id: parentId, slug: slugify(child), name: child, position: c });
      leaves.push(id);
    });
  });
  return { rows: rows.map((r) => ({ ...r, version: 1, created_at: BASE_TIME, updated_at: BASE_TIME })), leaves };
}

function buildProducts(rng, count, leaves, collectionIds) {
  const products = [];
  const variants = [];
  const levels = [];
  const memberships = [];
  for (let i = 0; i < count; i++) {
    const createdAt = BASE_TIME + 1000 * (i + 1);
    const id = makeId(rng, "prod", createdAt);
    const noun = rng.pick(NOUNS);
    const title = `${rng.pick(ADJECTIVES)} ${noun} ${i + 1}`;
    const variantCount = rng.int(1, 4);
    const basePrice = rng.int(5, 400) * 100 - rng.pick([0, 1, 5]);
    const prices = [];
    for (let v = 0; v < variantCount; v++) {
      const price = basePrice + v * rng.pick([0, 0, 500, 1000]);
      prices.push(price);
      const variantId = makeId(rng, "var", createdAt + v);
      const color = COLORS[(i + v) % COLORS.length];
      const size = SIZES[v % SIZES.length];
      variants.push({
        id: variantId, product_id: id, sku: `ES-${String(i + 1).padStart(6, "0")}-${v + 1}`,
        title: `${color} / ${size}`, price, currency: "USD", options: JSON.stringify({ color, size }),
        position: v, version: 1, created_at: createdAt, updated_at: createdAt,
      });
      levels.push({ variant_id: variantId, on_hand: rng.int(20, 200), reserved: 0, version: 0, updated_at: createdAt });
    }
    products.push({
      id, slug: `${slugify(title)}`, title,
      description: `A ${title.toLowerCase()} made of ${rng.pick(MATERIALS)}. Built to last, designed for everyday use.`,
      status: "active", category_id: rng.pick(leaves), tax_rate_bps: rng.pick(TAX_RATES),
      min_price: Math.min(...prices), max_price: Math.max(...prices), currency: "USD", is_bundle: 0,
      version: 1, created_at: createdAt, updated_at: createdAt,
    });
    if (rng.next() < 0.3) memberships.push({ collection_id: rng.pick(collectionIds), product_id: id, position: i });
  }
  return { products, variants, levels, memberships };
}

/** The dev discounts; their kind, value and rules must pass the pricing engine's DiscountDefinition. */
export function buildDiscounts(rng) {
  const at = BASE_TIME;
  const base = { usage_count: 0, status: "active", version: 1, created_at: at, updated_at: at, starts_at: null, ends_at: null };
  return [
    { ...base, id: makeId(rng, "disc", at), code: "WELCOME10", title: "10% off your order", kind: "cart_percentage", value: 1000, rules: "{}", is_automatic: 0, priority: 10, stackable: 0, usage_limit: null, per_customer_limit: 1 },
    // A fixed amount per currency (never converted): $5, €5 or £4 off, over 25 of the same currency (£20).
    { ...base, id: makeId(rng, "disc", at + 1), code: "FIVEOFF", title: "5 off orders over 25", kind: "cart_fixed", value: 500, rules: JSON.stringify({ currency: "USD", minSubtotal: 2500, amounts: { EUR: 500, GBP: 400 }, minSubtotals: { EUR: 2500, GBP: 2000 } }), is_automatic: 0, priority: 5, stackable: 1, usage_limit: 1000, per_customer_limit: null },
    { ...base, id: makeId(rng, "disc", at + 2), code: null, title: "Spend $200, save 5%", kind: "tiered", value: 0, rules: JSON.stringify({ currency: "USD", tiers: [{ threshold: 20000, thresholdType: "spend", valueBps: 500 }] }), is_automatic: 1, priority: 1, stackable: 1, usage_limit: null, per_customer_limit: null },
  ];
}

/**
 * Builds the seed as a list of SQL chunks (each a string of statements), products split into
 * chunks of `chunkSize` so large catalogs can be applied with progress.
 */
export function generateSeed({ products = 500, seed = 42, users, chunkSize = 1000 } = {}) {
  const rng = createRng(seed);
  const chunks = [];
  const head = [];
  const categories = buildCategories(rng);
  head.push(...insertStatements("categories", ["id", "parent_id", "slug", "name", "position", "version", "created_at", "updated_at"], categories.rows));
  const collections = COLLECTIONS.map((title, i) => ({ id: makeId(rng, "col", BASE_TIME + i), slug: slugify(title), title, version: 1, created_at: BASE_TIME, updated_at: BASE_TIME }));
  head.push(...insertStatements("collections", ["id", "slug", "title", "version", "created_at", "updated_at"], collections));
  const groups = ["VIP", "Wholesale"].map((name, i) => ({ id: makeId(rng, "cgrp", BASE_TIME + i), name, created_at: BASE_TIME, updated_at: BASE_TIME }));
  head.push(...insertStatements("customer_groups", ["id", "name", "created_at", "updated_at"], groups));
  const discountColumns = ["id", "code", "title", "kind", "value", "rules", "is_automatic", "priority", "stackable", "starts_at", "ends_at", "usage_limit", "usage_count", "per_customer_limit", "status", "version", "created_at", "updated_at"];
  head.push(...insertStatements("discounts", discountColumns, buildDiscounts(rng)));
  if (users) {
    const userRows = users.map((u, i) => ({
      id: makeId(rng, "usr", BASE_TIME + i), email: u.email.toLowerCase(), password_hash: u.passwordHash, name: u.name,
      role: u.role, marketing_opt_in: u.role === "CUSTOMER" ? 1 : 0, created_at: BASE_TIME, updated_at: BASE_TIME,
    }));
    head.push(...insertStatements("users", ["id", "email", "password_hash", "name", "role", "marketing_opt_in", "created_at", "updated_at"], userRows));
  }
  head.push(...insertStatements("regions", ["code", "name", "currency", "countries", "tax_inclusive", "is_default", "position", "version", "created_at", "updated_at"],
    REGIONS.map((r) => ({ ...r, countries: JSON.stringify(r.countries), version: 1, created_at: BASE_TIME, updated_at: BASE_TIME }))));
  head.push(...insertStatements("tax_rates", ["id", "country_code", "province_code", "tax_category", "rate_bps", "name", "created_at", "updated_at"], buildTaxRates(BASE_TIME)));
  head.push(...insertStatements("shipping_methods", ["id", "region_code", "name", "kind", "amount", "weight_rates", "free_over", "estimated_days", "countries", "status", "position", "created_at", "updated_at"], buildShippingMethods(BASE_TIME)));
  head.push(...insertStatements("translations", TRANSLATION_COLUMNS, buildTranslations([], categories.rows, BASE_TIME)));
  chunks.push({ label: "reference data", sql: head.join("\n") });

  const catalog = buildProducts(rng, products, categories.leaves, collections.map((c) => c.id));
  // Markets: books are taxed at the reduced rate; every variant has a shipping weight (its own RNG,
  // so the catalog's ids are what they were before markets).
  const reducedCategories = new Set(categories.rows.filter((c) => c.name === "Notebooks").map((c) => c.id));
  for (const p of catalog.products) p.tax_category = reducedCategories.has(p.category_id) ? "reduced" : "standard";
  const weights = createRng(seed ^ 0x5eed);
  for (const v of catalog.variants) Object.assign(v, { weight_grams: weights.int(1, 30) * 100, requires_shipping: 1 });
  const market = buildPrices(catalog.products, catalog.variants, BASE_TIME);
  for (let start = 0; start < products; start += chunkSize) {
    const slice = catalog.products.slice(start, start + chunkSize);
    const ids = new Set(slice.map((p) => p.id));
    const variants = catalog.variants.filter((v) => ids.has(v.product_id));
    const variantIds = new Set(variants.map((v) => v.id));
    const statements = [
      ...insertStatements("products", ["id", "slug", "title", "description", "status", "category_id", "tax_rate_bps", "tax_category", "min_price", "max_price", "currency", "is_bundle", "version", "created_at", "updated_at"], slice),
      ...insertStatements("product_variants", ["id", "product_id", "sku", "title", "price", "currency", "options", "position", "weight_grams", "requires_shipping", "version", "created_at", "updated_at"], variants),
      ...insertStatements("variant_prices", ["variant_id", "currency", "amount", "updated_at"], market.variantPrices.filter((p) => variantIds.has(p.variant_id))),
      ...insertStatements("product_prices", ["product_id", "currency", "min_amount", "max_amount"], market.productPrices.filter((p) => ids.has(p.product_id))),
      ...insertStatements("translations", TRANSLATION_COLUMNS, buildTranslations(slice, [], BASE_TIME)),
      ...insertStatements("inventory_levels", ["variant_id", "on_hand", "reserved", "version", "updated_at"], catalog.levels.filter((l) => variantIds.has(l.variant_id))),
      ...insertStatements("product_collections", ["collection_id", "product_id", "position"], catalog.memberships.filter((m) => ids.has(m.product_id))),
    ];
    chunks.push({ label: `products ${start + slice.length}/${products}`, sql: statements.join("\n") });
  }
  return chunks;
}
