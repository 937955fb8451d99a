/**
 * The markets of the dev seed: three regions (US in USD, tax added at checkout; EU in EUR and UK in
 * GBP, prices including VAT), their tax rates and shipping methods, each variant's price in EUR and
 * GBP (set, never converted at request time), product price ranges per currency, weights, and
 * German and French titles. Deterministic like the rest of the seed; its own RNG, so adding it
 * changed none of the catalog's ids.
 */

export const REGIONS = [
  { code: "US", name: "United States", currency: "USD", countries: ["US"], tax_inclusive: 0, is_default: 1, position: 0 },
  { code: "EU", name: "European Union", currency: "EUR", countries: ["DE", "FR", "IT", "ES", "NL", "AT", "BE", "IE", "PT", "FI", "LU"], tax_inclusive: 1, is_default: 0, position: 1 },
  { code: "UK", name: "United Kingdom", currency: "GBP", countries: ["GB"], tax_inclusive: 1, is_default: 0, position: 2 },
];

// [country, province, standard, reduced, taxesShipping]
const RATES = [
  ["US", "", 0, 0, false],
  ["US", "CA", 725, 0, false],
  ["US", "NY", 400, 0, true],
  ["US", "TX", 625, 0, true],
  ["US", "WA", 650, 0, true],
  ["US", "IL", 625, 100, false],
  ["DE", "", 1900, 700, true],
  ["FR", "", 2000, 550, true],
  ["IT", "", 2200, 1000, true],
  ["ES", "", 2100, 1000, true],
  ["NL", "", 2100, 900, true],
  ["AT", "", 2000, 1000, true],
  ["BE", "", 2100, 600, true],
  ["IE", "", 2300, 1350, true],
  ["PT", "", 2300, 600, true],
  ["FI", "", 2550, 1400, true],
  ["LU", "", 1700, 800, true],
  ["GB", "", 2000, 500, true],
];

/** Tax rate rows: standard, reduced and zero per place, and shipping where the place taxes it (at its standard rate). */
export function buildTaxRates(at) {
  const rows = [];
  for (const [country, province, standard, reduced, shipping] of RATES) {
    const place = province ? `${country}-${province}` : country;
    const add = (category, rate, name) =>
      rows.push({ id: `txr_${place}_${category}`.toLowerCase(), country_code: country, province_code: province, tax_category: category, rate_bps: rate, name, created_at: at, updated_at: at });
    add("standard", standard, `${place} standard`);
    add("reduced", reduced, `${place} reduced`);
    add("zero", 0, `${place} zero`);
    if (shipping) add("shipping", standard, `${place} shipping`);
  }
  return rows;
}

export function buildShippingMethods(at) {
  const method = (id, region_code, name, kind, amount, weight_rates, free_over, estimated_days, position) => ({
    id, region_code, name, kind, amount, weight_rates: JSON.stringify(weight_rates), free_over, estimated_days, countries: "[]", status: "active", position, created_at: at, updated_at: at,
  });
  return [
    method("shm_us_standard", "US", "Standard", "flat", 599, [], 7500, 5, 0),
    method("shm_us_express", "US", "Express", "weight", 0, [{ maxGrams: 1000, amount: 1200 }, { maxGrams: 5000, amount: 2000 }, { maxGrams: 20000, amount: 4500 }], null, 2, 1),
    method("shm_eu_standard", "EU", "Standard", "flat", 490, [], 6000, 4, 0),
    method("shm_eu_express", "EU", "DHL Express", "weight", 0, [{ maxGrams: 1000, amount: 1290 }, { maxGrams: 5000, amount: 1990 }, { maxGrams: 20000, amount: 3990 }], null, 2, 1),
    method("shm_uk_standard", "UK", "Royal Mail", "flat", 395, [], 5000, 3, 0),
    method("shm_uk_nextday", "UK", "Next day", "flat", 795, [], null, 1, 1),
  ];
}

/** A shelf price in another currency: the USD price × rate, ending in 9 (prices are set per currency, not converted live). */
const shelf = (usd, rate) => Math.max(99, Math.round((usd * rate) / 100) * 100 - 1);
/** Every 50th product (from the 8th) is not sold in the UK: its variants show price null there. */
export const soldInUk = (index) => index % 50 !== 7;

/** EUR and GBP prices of every variant, and each product's price range per currency. */
export function buildPrices(products, variants, at) {
  const indexOf = new Map(products.map((p, i) => [p.id, i]));
  const variantPrices = [];
  for (const v of variants) {
    variantPrices.push({ variant_id: v.id, currency: "EUR", amount: shelf(v.price, 0.92), updated_at: at });
    if (soldInUk(indexOf.get(v.product_id))) variantPrices.push({ variant_id: v.id, currency: "GBP", amount: shelf(v.price, 0.79), updated_at: at });
  }
  const ranges = new Map();
  const note = (productId, currency, amount) => {
    const key = `${productId}|${currency}`;
    const range = ranges.get(key) ?? { product_id: productId, currency, min_amount: amount, max_amount: amount };
    range.min_amount = Math.min(range.min_amount, amount);
    range.max_amount = Math.max(range.max_amount, amount);
    ranges.set(key, range);
  };
  for (const v of variants) note(v.product_id, v.currency, v.price);
  const productOf = new Map(variants.map((v) => [v.id, v.product_id]));
  for (const p of variantPrices) note(productOf.get(p.variant_id), p.currency, p.amount);
  return { variantPrices, productPrices: [...ranges.values()] };
}

const WORDS = {
  de: {
    Classic: "Klassisch", Modern: "Modern", Vintage: "Vintage", Organic: "Bio", Urban: "Urban", Alpine: "Alpin", Coastal: "Küsten", Nordic: "Nordisch",
    Rustic: "Rustikal", Essential: "Basis", Premium: "Premium", Everyday: "Alltags", Travel: "Reise", Studio: "Studio", Heritage: "Traditions", Trail: "Wander",
    Backpack: "Rucksack", Jacket: "Jacke", Sneaker: "Sneaker", Mug: "Becher", Lamp: "Lampe", Notebook: "Notizbuch", Headphones: "Kopfhörer", Watch: "Uhr",
    Scarf: "Schal", Bottle: "Flasche", Chair: "Stuhl", Blanket: "Decke", Sunglasses: "Sonnenbrille", Wallet: "Geldbörse", Tee: "T-Shirt", Hoodie: "Kapuzenpulli",
    Candle: "Kerze", Kettle: "Wasserkocher", Speaker: "Lautsprecher", Desk: "Schreibtisch",
  },
  fr: {
    Classic: "Classique", Modern: "Moderne", Vintage: "Vintage", Organic: "Bio", Urban: "Urbain", Alpine: "Alpin", Coastal: "Côtier", Nordic: "Nordique",
    Rustic: "Rustique", Essential: "Essentiel", Premium: "Premium", Everyday: "Quotidien", Travel: "Voyage", Studio: "Studio", Heritage: "Patrimoine", Trail: "Randonnée",
    Backpack: "Sac à dos", Jacket: "Veste", Sneaker: "Basket", Mug: "Tasse", Lamp: "Lampe", Notebook: "Carnet", Headphones: "Casque", Watch: "Montre",
    Scarf: "Écharpe", Bottle: "Gourde", Chair: "Chaise", Blanket: "Couverture", Sunglasses: "Lunettes de soleil", Wallet: "Portefeuille", Tee: "T-shirt", Hoodie: "Sweat à capuche",
    Candle: "Bougie", Kettle: "Bouilloire", Speaker: "Enceinte", Desk: "Bureau",
  },
};
const DESCRIPTIONS = {
  de: (title) => `${title}: langlebig gebaut, für jeden Tag gemacht.`,
  fr: (title) => `${title} : conçu pour durer, pensé pour tous les jours.`,
};
const CATEGORY_NAMES = {
  de: { Apparel: "Bekleidung", Jackets: "Jacken", Tops: "Oberteile", Accessories: "Accessoires", Footwear: "Schuhe", Sneakers: "Sneaker", Boots: "Stiefel", Home: "Wohnen", Kitchen: "Küche", Lighting: "Beleuchtung", Furniture: "Möbel", Electronics: "Elektronik", Audio: "Audio", Wearables: "Wearables", Outdoors: "Outdoor", Bags: "Taschen", Hydration: "Trinkflaschen", Stationery: "Schreibwaren", Notebooks: "Notizbücher", Desk: "Schreibtisch" },
  fr: { Apparel: "Vêtements", Jackets: "Vestes", Tops: "Hauts", Accessories: "Accessoires", Footwear: "Chaussures", Sneakers: "Baskets", Boots: "Bottes", Home: "Maison", Kitchen: "Cuisine", Lighting: "Éclairage", Furniture: "Meubles", Electronics: "Électronique", Audio: "Audio", Wearables: "Objets connectés", Outdoors: "Plein air", Bags: "Sacs", Hydration: "Hydratation", Stationery: "Papeterie", Notebooks: "Carnets", Desk: "Bureau" },
};

/** "Classic Backpack 12" → "Klassisch Rucksack 12" (word by word; good enough to show a translated catalog). */
function translateTitle(title, locale) {
  const [adjective, ...rest] = title.split(" ");
  const number = rest.pop();
  const noun = rest.join(" ");
  const words = WORDS[locale];
  return locale === "fr" ? `${words[noun] ?? noun} ${(words[adjective] ?? adjective).toLowerCase()} ${number}` : `${words[adjective] ?? adjective} ${words[noun] ?? noun} ${number}`;
}

export function buildTranslations(products, categories, at) {
  const rows = [];
  for (const locale of ["de", "fr"]) {
    for (const p of products) {
      const title = translateTitle(p.title, locale);
      rows.push({ entity_type: "product", entity_id: p.id, locale, title, description: DESCRIPTIONS[locale](title), updated_at: at });
    }
    for (const c of categories) {
      const name = CATEGORY_NAMES[locale][c.name];
      if (name) rows.push({ entity_type: "category", entity_id: c.id, locale, title: name, description: null, updated_at: at });
    }
  }
  return rows;
}
