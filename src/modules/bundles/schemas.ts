import * as z from "zod";

const Id = z.string().min(1).max(64);

export const BundleItem = z.object({ variantId: Id, quantity: z.number().int().min(1).max(100).default(1) }).strict();
export const BundleSetInput = z
  .object({
    name: z.string().trim().min(1).max(100),
    minChoices: z.number().int().min(0).max(20).default(1),
    maxChoices: z.number().int().min(1).max(20).default(1),
    items: z.array(BundleItem).min(1).max(50),
  })
  .strict();
export const PutBundleBody = z.object({ sets: z.array(BundleSetInput).min(1).max(10) }).strict();
export type PutBundleBody = z.infer<typeof PutBundleBody>;

export const Bundle = z
  .object({
    productId: z.string(),
    sets: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        minChoices: z.number().int(),
        maxChoices: z.number().int(),
        items: z.array(z.object({ variantId: z.string(), quantity: z.number().int() })),
      }),
    ),
  })
  .openapi("Bundle");
export type Bundle = z.infer<typeof Bundle>;

/** The shopper's choice for one bundle unit: component variants from the bundle's sets. */
export const BundleSelection = z
  .array(z.object({ variantId: Id, quantity: z.number().int().min(1).max(100).optional() }).strict())
  .min(1)
  .max(50);
export type BundleSelection = z.infer<typeof BundleSelection>;

/** A resolved component of one bundle unit. */
export type Component = { variantId: string; quantity: number };

export const ProductParam = z.object({ id: Id });
