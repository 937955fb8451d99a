import * as z from "zod";
import { MoneySchema } from "../../http/openapi";

export const RecommendationsQuery = z.object({ limit: z.coerce.number().int().min(1).max(20).default(8) });
export const ProductIdParam = z.object({ id: z.string().min(1).max(64) });

export const RecommendedProduct = z
  .object({
    id: z.string(),
    slug: z.string(),
    title: z.string(),
    priceRange: z.object({ min: MoneySchema, max: MoneySchema }),
    score: z.number().int().openapi({ description: "Co-purchase score; 0 for a category best seller filling in" }),
    source: z.enum(["co_purchase", "category_best_seller"]),
  })
  .openapi("RecommendedProduct");
export type RecommendedProduct = z.infer<typeof RecommendedProduct>;

export const Recommendations = z.object({ data: z.array(RecommendedProduct) }).openapi("Recommendations");
export type Recommendations = z.infer<typeof Recommendations>;
