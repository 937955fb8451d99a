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
  price: number;
  currency: string;
  available: number;
};

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
    variants: variants.map((v) => ({
      id: v.id,
      sku: v.sku,
      title: v.title,
      options: v.options ?? {},
      price: money(v.price, v.currency),
      available: v.available,
    })),
    priceRange: { min: money(row.min_price ?? 0, row.currency), max: money(row.max_price ?? 0, row.currency) },
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
