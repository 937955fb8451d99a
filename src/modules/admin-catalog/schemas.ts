import * as z from "zod";
import { PageQuery } from "../../http/openapi";
import { Product, Variant } from "../catalog/schemas";

const slug = z.string().trim().toLowerCase().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "lowercase words joined by -").max(120);
const sku = z.string().trim().min(1).max(64);
const price = z.number().int().min(0).max(100_000_000);
const currency = z.string().regex(/^[A-Z]{3}$/);
const options = z.record(z.string().max(50), z.string().max(100));
const status = z.enum(["draft", "active", "archived"]);
const id = z.string().min(1).max(64);
const taxCategory = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "lowercase word").openapi({ description: "With the shipping place, picks the rate in tax_rates" });
/** Prices in other currencies (markets): set per currency, never converted; one per currency. */
const prices = z
  .array(z.object({ amount: price, currency }).strict())
  .max(50)
  .refine((list) => new Set(list.map((p) => p.currency)).size === list.length, "one price per currency")
  .openapi({ description: "The variant's price per currency beside `price` (its own currency); an entry in its own currency must equal `price`" });
const weightGrams = z.number().int().min(0).max(10_000_000);

export const CreateVariantBody = z
  .object({
    sku,
    title: z.string().trim().min(1).max(200),
    price,
    currency: currency.optional(),
    prices: prices.optional(),
    options: options.optional(),
    stock: z.number().int().min(0).max(10_000_000).default(0),
    weightGrams: weightGrams.default(0),
    requiresShipping: z.boolean().default(true).openapi({ description: "False for goods nobody ships (downloads, services)" }),
  })
  .strict()
  .openapi("CreateVariantBody");
export type CreateVariantBody = z.infer<typeof CreateVariantBody>;

export const CreateProductBody = z
  .object({
    title: z.string().trim().min(1).max(200),
    slug: slug.optional(),
    description: z.string().max(10_000).optional(),
    categoryId: id.nullable().optional(),
    status: status.optional(),
    taxRateBps: z.number().int().min(0).max(10_000).optional(),
    taxCategory: taxCategory.optional(),
    variants: z.array(CreateVariantBody).max(100).default([]),
  })
  .strict()
  .openapi("CreateProductBody");
export type CreateProductBody = z.infer<typeof CreateProductBody>;

export const UpdateProductBody = z
  .object({
    title: z.string().trim().min(1).max(200),
    slug,
    description: z.string().max(10_000),
    categoryId: id.nullable(),
    status,
    taxRateBps: z.number().int().min(0).max(10_000),
    taxCategory,
  })
  .partial()
  .strict()
  .openapi("UpdateProductBody");
export type UpdateProductBody = z.infer<typeof UpdateProductBody>;

export const UpdateVariantBody = z
  .object({ sku, title: z.string().trim().min(1).max(200), price, currency, prices, options, position: z.number().int().min(0).max(10_000), weightGrams, requiresShipping: z.boolean() })
  .partial()
  .strict()
  .openapi("UpdateVariantBody");
export type UpdateVariantBody = z.infer<typeof UpdateVariantBody>;

export const AdminVariant = Variant.extend({ productId: z.string(), version: z.number().int() }).openapi("AdminVariant");
export type AdminVariant = z.infer<typeof AdminVariant>;

export const AdminProduct = Product.extend({
  variants: z.array(Variant.extend({ version: z.number().int() })),
  version: z.number().int(),
  deletedAt: z.string().nullable(),
}).openapi("AdminProduct");
export type AdminProduct = z.infer<typeof AdminProduct>;

export const AdminProductQuery = PageQuery.extend({
  status: status.optional(),
  includeDeleted: z.enum(["true", "false", "1", "0"]).optional().transform((v) => v === "true" || v === "1"),
});
export type AdminProductQuery = z.infer<typeof AdminProductQuery>;

export const CreateCategoryBody = z
  .object({ name: z.string().trim().min(1).max(100), slug: slug.optional(), parentId: id.nullable().optional(), description: z.string().max(2000).nullable().optional(), position: z.number().int().min(0).max(10_000).optional() })
  .strict()
  .openapi("CreateCategoryBody");
export type CreateCategoryBody = z.infer<typeof CreateCategoryBody>;
export const UpdateCategoryBody = CreateCategoryBody.partial().strict().openapi("UpdateCategoryBody");
export type UpdateCategoryBody = z.infer<typeof UpdateCategoryBody>;

export const AdminCategory = z
  .object({ id: z.string(), slug: z.string(), name: z.string(), parentId: z.string().nullable(), description: z.string().nullable(), position: z.number().int(), version: z.number().int(), deletedAt: z.string().nullable() })
  .openapi("AdminCategory");
export type AdminCategory = z.infer<typeof AdminCategory>;

export const CreateCollectionBody = z
  .object({ title: z.string().trim().min(1).max(200), slug: slug.optional(), description: z.string().max(2000).nullable().optional() })
  .strict()
  .openapi("CreateCollectionBody");
export type CreateCollectionBody = z.infer<typeof CreateCollectionBody>;
export const UpdateCollectionBody = CreateCollectionBody.partial().strict().openapi("UpdateCollectionBody");
export type UpdateCollectionBody = z.infer<typeof UpdateCollectionBody>;

export const AdminCollection = z
  .object({ id: z.string(), slug: z.string(), title: z.string(), description: z.string().nullable(), version: z.number().int(), deletedAt: z.string().nullable(), productIds: z.array(z.string()) })
  .openapi("AdminCollection");
export type AdminCollection = z.infer<typeof AdminCollection>;

export const CollectionProductsBody = z.object({ productIds: z.array(id).min(1).max(100) }).strict().openapi("CollectionProductsBody");

export const IncludeDeletedQuery = z.object({
  includeDeleted: z.enum(["true", "false", "1", "0"]).optional().transform((v) => v === "true" || v === "1"),
});
export const IdParam = z.object({ id });
