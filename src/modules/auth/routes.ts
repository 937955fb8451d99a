import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { currentUserId, requireAuth } from "../../http/middleware/auth";
import { limitLoginAttempts } from "../../http/middleware/rate-limit";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../../http/openapi";
import { createRouter } from "../../http/router";
import {
  AuthSession,
  ForgotPasswordBody,
  LoginBody,
  RefreshBody,
  RegisterBody,
  ResetPasswordBody,
  User,
} from "./schemas";
import * as auth from "./service";

export const authRoutes = createRouter();
const tags = ["Auth"];

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/register",
    tags,
    summary: "Create a customer account",
    request: { body: jsonBody(RegisterBody) },
    responses: {
      201: jsonContent(AuthSession, "Registered and signed in"),
      ...errorResponses(400, 409, 413, 422, 429),
    },
  }),
  async (c) => c.json(await auth.register(c.env, c.req.valid("json")), 201),
);

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/login",
    tags,
    summary: "Sign in with email and password",
    request: { body: jsonBody(LoginBody) },
    responses: { 200: jsonContent(AuthSession, "Signed in"), ...errorResponses(400, 401, 422, 429) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    await limitLoginAttempts(c, body.email);
    return c.json(await auth.login(c.env, body), 200);
  },
);

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/refresh",
    tags,
    summary: "Rotate a refresh token for a new token pair",
    request: { body: jsonBody(RefreshBody) },
    responses: { 200: jsonContent(AuthSession, "New token pair"), ...errorResponses(400, 401, 422, 429) },
  }),
  async (c) => c.json(await auth.refresh(c.env, c.req.valid("json").refreshToken), 200),
);

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/logout",
    tags,
    summary: "Revoke the session of a refresh token",
    request: { body: jsonBody(RefreshBody) },
    responses: { 204: { description: "Signed out" }, ...errorResponses(400, 422) },
  }),
  async (c) => {
    await auth.logout(c.env, c.req.valid("json").refreshToken);
    return c.body(null, 204);
  },
);

authRoutes.openapi(
  createRoute({
    method: "get",
    path: "/me",
    tags,
    summary: "The signed-in user",
    middleware: requireAuth(),
    security: bearerSecurity,
    responses: { 200: jsonContent(User, "The user"), ...errorResponses(401) },
  }),
  async (c) => c.json(await auth.me(c.env, currentUserId(c.get("principal"))), 200),
);

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/password/forgot",
    tags,
    summary: "Email a password reset link (always 202)",
    request: { body: jsonBody(ForgotPasswordBody) },
    responses: { 202: jsonContent(z.object({ status: z.literal("accepted") }), "Accepted"), ...errorResponses(400, 422) },
  }),
  async (c) => {
    await auth.forgotPassword(c.env, c.req.valid("json").email, c.get("requestId"));
    return c.json({ status: "accepted" as const }, 202);
  },
);

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/password/reset",
    tags,
    summary: "Set a new password with a reset token",
    request: { body: jsonBody(ResetPasswordBody) },
    responses: { 204: { description: "Password changed" }, ...errorResponses(400, 422) },
  }),
  async (c) => {
    const { token, password } = c.req.valid("json");
    await auth.resetPassword(c.env, token, password);
    return c.body(null, 204);
  },
);
