import { createRoute } from "@hono/zod-openapi";
import { currentUserId, requireAdmin, requireAuth } from "../../http/middleware/auth";
import { adminSecurity, bearerSecurity, errorResponses, jsonBody, jsonContent, pageOf } from "../../http/openapi";
import { createRouter } from "../../http/router";
import type { Principal } from "../../http/types";
import { Cart } from "../cart/schemas";
import {
  ApplyGiftCardBody,
  CustomerParam,
  GiftCard,
  GiftCardBalance,
  GiftCardCodeParam,
  GiftCardIdParam,
  GiftCardListQuery,
  GrantStoreCreditBody,
  IssueGiftCardBody,
  IssuedGiftCard,
  OptionalIdempotencyHeaders,
  StoreCredit,
  StoreCreditQuery,
} from "./schemas";
import * as cards from "./service";
import { marketOf } from "../../http/middleware/market";

export const giftCardStoreRoutes = createRouter();
export const giftCardAdminRoutes = createRouter();
const storeTags = ["Store: gift cards and store credit"];
const adminTags = ["Admin: gift cards and store credit"];
const customer = requireAuth();
const admin = requireAdmin("gift-cards");
const actorOf = (p: Principal | undefined) => (p?.kind === "user" ? `admin:${p.userId}` : `api-key:${p?.kind === "apiKey" ? p.keyId : "?"}`);

giftCardStoreRoutes.openapi(
  createRoute({
    method: "get",
    path: "/gift-cards/{code}",
    tags: storeTags,
    summary: "What a gift card can pay now, by its code (no sign-in; rate-limited per address so codes cannot be guessed)",
    request: { params: GiftCardCodeParam },
    responses: { 200: jsonContent(GiftCardBalance, "Balance"), ...errorResponses(404, 429) },
  }),
  async (c) => c.json(await cards.giftCardBalance(c.env, c.req.valid("param").code), 200),
);

giftCardStoreRoutes.openapi(
  createRoute({
    method: "post",
    path: "/cart/gift-cards",
    tags: storeTags,
    summary: "Apply a gift card to the cart (it pays what it can when the checkout locks); 422 with details.reason when it cannot",
    middleware: customer,
    security: bearerSecurity,
    request: { body: jsonBody(ApplyGiftCardBody) },
    responses: { 200: jsonContent(Cart, "Cart"), ...errorResponses(400, 401, 422, 429) },
  }),
  async (c) => c.json(await cards.applyGiftCard(c.env, currentUserId(c.get("principal")), c.req.valid("json").code), 200),
);

giftCardStoreRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/cart/gift-cards/{code}",
    tags: storeTags,
    summary: "Take a gift card off the cart (by its code or its last four characters)",
    middleware: customer,
    security: bearerSecurity,
    request: { params: GiftCardCodeParam },
    responses: { 200: jsonContent(Cart, "Cart"), ...errorResponses(401, 404) },
  }),
  async (c) => c.json(await cards.removeGiftCard(c.env, currentUserId(c.get("principal")), c.req.valid("param").code), 200),
);

giftCardStoreRoutes.openapi(
  createRoute({
    method: "get",
    path: "/store-credit",
    tags: storeTags,
    summary: "The customer's store credit and its newest entries",
    middleware: customer,
    security: bearerSecurity,
    request: { query: StoreCreditQuery },
    responses: { 200: jsonContent(StoreCredit, "Store credit"), ...errorResponses(401, 422) },
  }),
  async (c) => c.json(await cards.getStoreCredit(c.env, currentUserId(c.get("principal")), c.req.valid("query").currency ?? marketOf(c).region.currency), 200),
);

giftCardStoreRoutes.openapi(
  createRoute({
    method: "post",
    path: "/cart/store-credit",
    tags: storeTags,
    summary: "Pay (part of) the cart with store credit; 422 when there is none",
    middleware: customer,
    security: bearerSecurity,
    responses: { 200: jsonContent(Cart, "Cart"), ...errorResponses(401, 422) },
  }),
  async (c) => c.json(await cards.useStoreCredit(c.env, currentUserId(c.get("principal")), true), 200),
);

giftCardStoreRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/cart/store-credit",
    tags: storeTags,
    summary: "Stop paying the cart with store credit",
    middleware: customer,
    security: bearerSecurity,
    responses: { 200: jsonContent(Cart, "Cart"), ...errorResponses(401) },
  }),
  async (c) => c.json(await cards.useStoreCredit(c.env, currentUserId(c.get("principal")), false), 200),
);

giftCardAdminRoutes.openapi(
  createRoute({
    method: "post",
    path: "/gift-cards",
    tags: adminTags,
    summary: "Issue a gift card; its code is in this answer only",
    middleware: admin,
    security: adminSecurity,
    request: { body: jsonBody(IssueGiftCardBody) },
    responses: { 201: jsonContent(IssuedGiftCard, "Issued card"), ...errorResponses(400, 401, 403, 422) },
  }),
  async (c) => c.json(await cards.issueGiftCard(c.env, c.req.valid("json"), actorOf(c.get("principal"))), 201),
);

giftCardAdminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/gift-cards",
    tags: adminTags,
    summary: "Gift cards, newest first, with their live balances",
    middleware: admin,
    security: adminSecurity,
    request: { query: GiftCardListQuery },
    responses: { 200: jsonContent(pageOf(GiftCard), "Gift cards"), ...errorResponses(400, 401, 403, 422) },
  }),
  async (c) => c.json(await cards.listGiftCards(c.env, c.req.valid("query")), 200),
);

giftCardAdminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/gift-cards/{id}",
    tags: adminTags,
    summary: "A gift card with its live balance (never its code)",
    middleware: admin,
    security: adminSecurity,
    request: { params: GiftCardIdParam },
    responses: { 200: jsonContent(GiftCard, "Gift card"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => c.json(await cards.getGiftCard(c.env, c.req.valid("param").id), 200),
);

giftCardAdminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/store-credit/{id}",
    tags: adminTags,
    summary: "A customer's store credit",
    middleware: admin,
    security: adminSecurity,
    request: { params: CustomerParam, query: StoreCreditQuery },
    responses: { 200: jsonContent(StoreCredit, "Store credit"), ...errorResponses(401, 403, 404, 422) },
  }),
  async (c) => c.json(await cards.getStoreCredit(c.env, c.req.valid("param").id, c.req.valid("query").currency), 200),
);

giftCardAdminRoutes.openapi(
  createRoute({
    method: "post",
    path: "/store-credit/{id}",
    tags: adminTags,
    summary: "Grant store credit to a customer (a retry with the same Idempotency-Key is applied once)",
    middleware: admin,
    security: adminSecurity,
    request: { params: CustomerParam, headers: OptionalIdempotencyHeaders, body: jsonBody(GrantStoreCreditBody) },
    responses: { 200: jsonContent(StoreCredit, "Store credit"), ...errorResponses(400, 401, 403, 404, 422) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const input = { customerId: c.req.valid("param").id, ...body, actor: actorOf(c.get("principal")), idempotencyKey: c.req.valid("header")["idempotency-key"] };
    return c.json(await cards.grantStoreCredit(c.env, input), 200);
  },
);
