import * as z from "zod";
import { MoneySchema, PageQuery, pageOf } from "../../http/openapi";

export const SORTS = ["newest", "price_asc", "price_desc", "relevance"] as const;
export type Sort = (typeof SORTS)[number];

export const ProductListQuery = PageQuery.extend({
  category: z.string().min(1).max(100).optional().openapi({ description: "Category id or slug; includes its subcategories" }),
  collection: z.string().min(1).max(100).optional().openapi({ description: "Collection id or slug" }),
  q: z.string().trim().min(1).max(200).optional().openapi({ description: "Full-text search over title, description and SKU" }),
  minPrice: z.coerce.number().int().min(0).optional().openapi({ description: "Lowest variant price at least this (minor units of the region's currency)" }),
  maxPrice: z.coerce.number().int().min(0).optional().openapi({ description: "Lowest variant price at most this (minor units of the region's currency)" }),
  sort: z.enum(SORTS).optional().openapi({ description: "Default: relevance with q, newest without" }),
});
export type ProductListQuery = z.infer<typeof ProductListQuery>;

export const Variant = z
  .object({
    id: z.string(),
    sku: z.string(),
    title: z.string(),
    options: z.record(z.string(), z.string()),
    /** The price in the request's region currency; null when the variant is not sold there. */
    price: MoneySchema.nullable().openapi({ description: "In the region's currency; null when the variant has no price in it (it cannot be bought there)" }),
    /** Every currency the variant is priced in (set per currency by admins, never converted). */
    prices: z.array(MoneySchema),
    weightGrams: z.number().int(),
    /** False for goods nobody ships (downloads, services). */
    requiresShipping: z.boolean(),
    available: z.number().int(),
  })
  .openapi("Variant");
export type Variant = z.infer<typeof Variant>;

export const CategoryRef = z.object({ id: z.string(), slug: z.string(), name: z.string() });

export const Product = z
  .object({
    id: z.string(),
    slug: z.string(),
    title: z.string(),
    description: z.string(),
    status: z.enum(["draft", "active", "archived"]),
    category: CategoryRef.nullable(),
    taxRateBps: z.number().int(),
    /** With the shipping place, picks the tax rate (tax_rates); taxRateBps applies where no rate is set. */
    taxCategory: z.string(),
    variants: z.array(Variant),
    /** Over the variants priced in the region's currency; null when none is. */
    priceRange: z.object({ min: MoneySchema, max: MoneySchema }).nullable(),
    rating: z.object({ average: z.number().nullable(), count: z.number().int() }),
  })
  .openapi("Product");
export type Product = z.infer<typeof Product>;

export const ProductPage = pageOf(Product).openapi("ProductPage");

export type CategoryNode = {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  parentId: string | null;
  position: number;
  children: CategoryNode[];
};
export const CategoryTree: z.ZodType<CategoryNode> = z
  .lazy(() =>
    z.object({
      id: z.string(),
      slug: z.string(),
      name: z.string(),
      description: z.string().nullable(),
      parentId: z.string().nullable(),
      position: z.number().int(),
      children: z.array(CategoryTree),
    }),
  )
  .openapi("CategoryNode");

export const Collection = z
  .object({ id: z.string(), slug: z.string(), title: z.string(), description: z.string().nullable() })
  .openapi("Collection");
export type Collection = z.infer<typeof Collection>;

export const IdOrSlugParam = z.object({ idOrSlug: z.string().min(1).max(200) });
