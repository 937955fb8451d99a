import { createRoute } from "@hono/zod-openapi";
import { currentUserId, requireAdmin, requireAuth } from "../../http/middleware/auth";
import { adminSecurity, bearerSecurity, errorResponses, jsonBody, jsonContent, PageQuery, pageOf } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { AdminReviewQuery, CreateReviewBody, ProductIdParam, RejectReviewBody, Review, ReviewCursor, ReviewIdParam } from "./schemas";
import * as reviews from "./service";

export const reviewStoreRoutes = createRouter();
export const reviewAdminRoutes = createRouter();

const pageAnswer = (page: reviews.ReviewPage) => ({
  data: page.rows.map(reviews.toReview),
  nextCursor: page.next ? encodeCursor(page.next) : null,
});

reviewStoreRoutes.openapi(
  createRoute({
    method: "get",
    path: "/products/{id}/reviews",
    tags: ["Store: reviews"],
    summary: "Approved reviews of a product, newest first",
    request: { params: ProductIdParam, query: PageQuery },
    responses: { 200: jsonContent(pageOf(Review), "Approved reviews"), ...errorResponses(400, 404, 422) },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await reviews.listProductReviews(c.env, c.req.valid("param").id, decodeCursor(cursor, ReviewCursor), limit);
    return c.json(pageAnswer(page), 200);
  },
);

reviewStoreRoutes.openapi(
  createRoute({
    method: "post",
    path: "/products/{id}/reviews",
    tags: ["Store: reviews"],
    summary: "Review a product you received (pending moderation; empty or abusive text is rejected at once)",
    middleware: requireAuth(),
    security: bearerSecurity,
    request: { params: ProductIdParam, body: jsonBody(CreateReviewBody) },
    responses: {
      201: jsonContent(Review, "The review: pending, or rejected by the automatic rules with moderationNote"),
      ...errorResponses(400, 401, 403, 404, 409, 422),
    },
  }),
  async (c) => {
    const userId = currentUserId(c.get("principal"));
    const review = await reviews.submitReview(c.env, userId, c.req.valid("param").id, c.req.valid("json"));
    return c.json(review, 201);
  },
);

const adminTags = ["Admin: reviews"];

reviewAdminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/reviews",
    tags: adminTags,
    summary: "Reviews for moderation, newest first",
    middleware: requireAdmin("reviews"),
    security: adminSecurity,
    request: { query: AdminReviewQuery },
    responses: { 200: jsonContent(pageOf(Review), "Reviews"), ...errorResponses(400, 401, 403, 422) },
  }),
  async (c) => {
    const { status, limit, cursor } = c.req.valid("query");
    const page = await reviews.listReviewsForModeration(c.env, status, decodeCursor(cursor, ReviewCursor), limit);
    return c.json(pageAnswer(page), 200);
  },
);

reviewAdminRoutes.openapi(
  createRoute({
    method: "post",
    path: "/reviews/{id}/approve",
    tags: adminTags,
    summary: "Approve a review (counts in the product rating; approving twice changes nothing)",
    middleware: requireAdmin("reviews"),
    security: adminSecurity,
    request: { params: ReviewIdParam },
    responses: { 200: jsonContent(Review, "The approved review"), ...errorResponses(401, 403, 404, 409) },
  }),
  async (c) => c.json(await reviews.moderateReview(c.env, c.req.valid("param").id, "approved"), 200),
);

reviewAdminRoutes.openapi(
  createRoute({
    method: "post",
    path: "/reviews/{id}/reject",
    tags: adminTags,
    summary: "Reject a review (an approved one leaves the product rating)",
    middleware: requireAdmin("reviews"),
    security: adminSecurity,
    request: { params: ReviewIdParam, body: { ...jsonBody(RejectReviewBody), required: false } },
    responses: { 200: jsonContent(Review, "The rejected review"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  }),
  async (c) => {
    const { reason } = c.req.valid("json");
    return c.json(await reviews.moderateReview(c.env, c.req.valid("param").id, "rejected", reason), 200);
  },
);
