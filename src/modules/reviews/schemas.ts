import * as z from "zod";
import { PageQuery } from "../../http/openapi";

export const ReviewStatus = z.enum(["pending", "approved", "rejected"]);
export type ReviewStatus = z.infer<typeof ReviewStatus>;

/** Empty title or body is accepted here on purpose: the moderation rules reject it with a reason. */
export const CreateReviewBody = z
  .object({
    rating: z.number().int().min(1).max(5),
    title: z.string().max(200),
    body: z.string().max(5000),
  })
  .strict()
  .openapi("CreateReviewBody");
export type CreateReviewBody = z.infer<typeof CreateReviewBody>;

export const RejectReviewBody = z
  .object({ reason: z.string().trim().min(1).max(500).optional() })
  .strict()
  .openapi("RejectReviewBody");

export const Review = z
  .object({
    id: z.string(),
    productId: z.string(),
    rating: z.number().int().min(1).max(5),
    title: z.string(),
    body: z.string(),
    status: ReviewStatus,
    verifiedPurchase: z.boolean(),
    moderationNote: z.string().nullable().openapi({ description: "Why the review was rejected, if it was" }),
    createdAt: z.string(),
    updatedAt: z.string(),
    author: z.object({ name: z.string() }),
  })
  .openapi("Review");
export type Review = z.infer<typeof Review>;

export const ProductIdParam = z.object({ id: z.string().min(1).max(64) });
export const ReviewIdParam = z.object({ id: z.string().min(1).max(64) });
export const AdminReviewQuery = PageQuery.extend({ status: ReviewStatus.optional() });
export const ReviewCursor = z.object({ c: z.number().int(), id: z.string().max(64) });
export type ReviewCursor = z.infer<typeof ReviewCursor>;
