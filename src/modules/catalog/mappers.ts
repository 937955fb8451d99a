/** Database rows → API shapes for the store catalog. */
import { money } from "../../lib/money";
import type { CategoryRow } from "./repo";
import type { ProductRow } from "./repo";
import type { CategoryNode, Product } from "./schemas";

type VariantJson = {
  id: string;
  sku: string;
  title: string;
  options: Record<string, string>;
  /** In the market's currency; null when the variant has no price in it. */
  price: number | null;
  currency: string;
  prices: { amount: number; currency: string }[];
  weightGrams: number;
  requiresShipping: number;
  available: number;
};

/** The lowest and highest of the variants' prices in the answer's currency; null when none has one. */
function priceRangeOf(variants: VariantJson[]) {
  const priced = variants.filter((v) => v.price !== null);
  if (priced.length === 0) return null;
  const amounts = priced.map((v) => v.price!);
  const currency = priced[0]!.currency;
  return { min: money(Math.min(...amounts), currency), max: money(Math.max(...amounts), currency) };
}

export function toProduct(row: ProductRow): Product {
  const variants = JSON.parse(row.variants_json) as VariantJson[];
  const count = row.rating_count ?? 0;
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    description: row.description,
    status: row.status,
    category: row.cat_id ? { id: row.cat_id, slug: row.cat_slug!, name: row.cat_name! } : null,
    taxRateBps: row.tax_rate_bps,
    taxCategory: row.tax_category,
    variants: variants.map((v) => ({
      id: v.id,
      sku: v.sku,
      title: v.title,
      options: v.options ?? {},
      price: v.price === null ? null : money(v.price, v.currency),
      prices: [...v.prices].sort((a, b) => (a.currency < b.currency ? -1 : 1)).map((p) => money(p.amount, p.currency)),
      weightGrams: v.weightGrams,
      requiresShipping: v.requiresShipping === 1,
      available: v.available,
    })),
    priceRange: priceRangeOf(variants),
    // Two decimals are enough for stars and keep the JSON stable across float noise.
    rating: { average: count > 0 ? Math.round(((row.rating_sum ?? 0) / count) * 100) / 100 : null, count },
  };
}

/** Builds the category forest from a flat list; orphans (parent deleted) become roots. */
export function toCategoryTree(rows: CategoryRow[]): CategoryNode[] {
  const nodes = new Map<string, CategoryNode>();
  for (const row of rows) {
    nodes.set(row.id, {
      id: row.id,
      slug: row.slug,
      name: row.name,
      description: row.description,
      parentId: row.parent_id,
      position: row.position,
      children: [],
    });
  }
  const roots: CategoryNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentId ? nodes.get(node.parentId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}
