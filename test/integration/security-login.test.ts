/**
 * Login resists guessing and timing. Guessing: per-IP and per-email limits (proven in
 * rate-limit.test.ts, "limits login per email across IPs, and per IP across emails"). Timing: an
 * unknown email costs the same PBKDF2 work as a wrong password — counted here, not timed, so the
 * proof does not depend on a noisy clock.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { login } from "../../src/modules/auth/service";
import { registerCustomer, uniqueEmail } from "../helpers";

afterEach(() => vi.restoreAllMocks());

/** Runs `fn` and returns the PBKDF2 derivations it performed (iterations of each). */
async function pbkdf2Work(fn: () => Promise<unknown>): Promise<number[]> {
  const derive = vi.spyOn(crypto.subtle, "deriveBits");
  await fn().catch(() => {});
  const work = derive.mock.calls.map(([algorithm]) => (algorithm as { iterations: number }).iterations);
  derive.mockRestore();
  return work;
}

describe("POST /api/v1/auth/login work", () => {
  it("spends the same PBKDF2 work on an unknown email as on a wrong password and a right one", async () => {
    const { email, password } = await registerCustomer();
    // The dummy hash is made once per isolate; make it before measuring.
    await login(env, { email: uniqueEmail("warmup"), password: "x" }).catch(() => {});

    const unknown = await pbkdf2Work(() => login(env, { email: uniqueEmail("ghost"), password: "wrong-password" }));
    const wrong = await pbkdf2Work(() => login(env, { email, password: "wrong-password" }));
    const right = await pbkdf2Work(() => login(env, { email, password }));

    expect(wrong).toEqual([100_000]);
    expect(unknown).toEqual(wrong);
    expect(right).toEqual(wrong);
  });

  it("answers an unknown email and a wrong password with the same error", async () => {
    const { email } = await registerCustomer();
    const errors = await Promise.all([
      login(env, { email: uniqueEmail("ghost"), password: "wrong-password" }).catch((e: unknown) => e),
      login(env, { email, password: "wrong-password" }).catch((e: unknown) => e),
    ]);
    const [a, b] = errors as [{ code: string; message: string; status: number }, { code: string; message: string; status: number }];
    expect([a.code, a.message, a.status]).toEqual([b.code, b.message, b.status]);
  });
});
