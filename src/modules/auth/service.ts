/**
 * Auth flows of API.md: register, login, refresh with rotation and reuse detection, logout,
 * and password reset. Refresh tokens are opaque random strings stored only as SHA-256 hashes.
 */
import { getConfig } from "../../env";
import { AppError, conflict, notFound, unauthenticated } from "../../lib/errors";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { enqueueOutbox } from "../notifications/service";
import { getDummyHash, hashPassword, verifyPassword } from "./passwords";
import * as repo from "./repo";
import type { AuthSession, LoginBody, RegisterBody, User } from "./schemas";
import { signAccessToken } from "./tokens";

const PASSWORD_RESET_TTL_MS = 60 * 60 * 1000;
const invalidCredentials = () => unauthenticated("Invalid email or password");
const invalidRefresh = () => unauthenticated("Invalid refresh token");

export function publicUser(row: repo.UserRow): User {
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

async function issueSession(env: Env, user: repo.UserRow, familyId: string, now: number): Promise<AuthSession> {
  const config = getConfig(env);
  const refreshToken = randomToken(32);
  await repo.insertRefreshToken(env.DB, {
    id: newId("rt", now),
    userId: user.id,
    familyId,
    tokenHash: await sha256Hex(refreshToken),
    expiresAt: now + config.REFRESH_TOKEN_TTL_SECONDS * 1000,
    createdAt: now,
  });
  const accessToken = await signAccessToken(
    config.JWT_SECRET,
    { userId: user.id, role: user.role },
    config.ACCESS_TOKEN_TTL_SECONDS,
  );
  return { user: publicUser(user), accessToken, refreshToken, expiresIn: config.ACCESS_TOKEN_TTL_SECONDS };
}

/** Creates a CUSTOMER (never anything else) and signs them in. */
export async function register(env: Env, input: RegisterBody, now = Date.now()): Promise<AuthSession> {
  const user = await repo.insertUserIfNew(env.DB, {
    id: newId("usr", now),
    email: input.email,
    name: input.name,
    passwordHash: await hashPassword(input.password),
    role: "CUSTOMER",
    createdAt: now,
    updatedAt: now,
  });
  if (!user) throw conflict("An account with this email already exists");
  return issueSession(env, user, newId("fam", now), now);
}

export async function login(env: Env, input: LoginBody, now = Date.now()): Promise<AuthSession> {
  const user = await repo.findUserByEmail(env.DB, input.email);
  // Unknown emails verify against a dummy hash: the same work and the same answer as a wrong password.
  const valid = await verifyPassword(input.password, user?.passwordHash ?? (await getDummyHash()));
  if (!user || !valid) throw invalidCredentials();
  return issueSession(env, user, newId("fam", now), now);
}

/**
 * Rotates a refresh token: the presented one dies and a new one joins its family. Presenting a
 * dead token means it was stolen or replayed, so the whole family is revoked.
 */
export async function refresh(env: Env, refreshToken: string, now = Date.now()): Promise<AuthSession> {
  const row = await repo.findRefreshTokenByHash(env.DB, await sha256Hex(refreshToken));
  if (!row) throw invalidRefresh();
  if (row.revokedAt !== null) {
    await repo.revokeRefreshFamily(env.DB, row.familyId, now);
    throw invalidRefresh();
  }
  if (row.expiresAt <= now) throw invalidRefresh();
  const successorId = newId("rt", now);
  // Conditional write: of two concurrent refreshes with one token, only one wins; the other is a reuse.
  if (!(await repo.revokeRefreshTokenIfLive(env.DB, row.id, now, successorId))) {
    await repo.revokeRefreshFamily(env.DB, row.familyId, now);
    throw invalidRefresh();
  }
  const user = await repo.findUserById(env.DB, row.userId);
  if (!user) throw invalidRefresh();
  return issueSession(env, user, row.familyId, now);
}

/** Ends the session the refresh token belongs to; unknown tokens are ignored (idempotent). */
export async function logout(env: Env, refreshToken: string, now = Date.now()): Promise<void> {
  const row = await repo.findRefreshTokenByHash(env.DB, await sha256Hex(refreshToken));
  if (row) await repo.revokeRefreshFamily(env.DB, row.familyId, now);
}

export async function me(env: Env, userId: string): Promise<User> {
  const user = await repo.findUserById(env.DB, userId);
  if (!user) throw notFound("User");
  return publicUser(user);
}

/**
 * Starts a password reset. Always succeeds from the caller's view (no user enumeration); for a
 * known email, the reset row and its email go into D1 together (outbox), to be sent by the queue.
 */
export async function forgotPassword(env: Env, email: string, requestId: string, now = Date.now()): Promise<void> {
  const user = await repo.findUserByEmail(env.DB, email);
  const token = randomToken(32);
  const tokenHash = await sha256Hex(token);
  if (!user) return;
  const resetId = newId("pwr", now);
  const emailRow = await repo.insertPasswordResetWithEmail(
    env.DB,
    { id: resetId, userId: user.id, tokenHash, expiresAt: now + PASSWORD_RESET_TTL_MS, createdAt: now },
    {
      id: newId("eml", now),
      template: "password_reset",
      toAddress: user.email,
      payload: { name: user.name, token, expiresAt: new Date(now + PASSWORD_RESET_TTL_MS).toISOString() },
      priority: "critical",
      status: "pending",
      dedupeKey: `password_reset:${resetId}`,
      requestId,
      createdAt: now,
      updatedAt: now,
    },
  );
  // If this send is lost, the cron sweep finds the pending row and sends it again.
  await enqueueOutbox(env, [emailRow]);
}

/** Sets a new password with a reset token, once; every session of the user is then revoked. */
export async function resetPassword(env: Env, token: string, password: string, now = Date.now()): Promise<void> {
  const reset = await repo.findUsablePasswordReset(env.DB, await sha256Hex(token));
  const invalid = new AppError("VALIDATION_ERROR", "Reset token is invalid or expired", 400);
  if (!reset || reset.expiresAt <= now) throw invalid;
  if (!(await repo.spendPasswordReset(env.DB, reset.id, now))) throw invalid;
  await repo.updatePasswordHash(env.DB, reset.userId, await hashPassword(password), now);
  await repo.revokeAllRefreshTokensOfUser(env.DB, reset.userId, now);
}

/** Promotional email consent; transactional email (orders, resets) is sent regardless. */
export async function setMarketingOptIn(env: Env, userId: string, optIn: boolean, now = Date.now()): Promise<void> {
  await repo.updateMarketingOptIn(env.DB, userId, optIn, now);
}
