/**
 * The limiter client: asks the key's RateLimiterDO for a decision within a small time budget.
 * The shop never goes down because of the limiter: on a timeout or a fault (after one retry with
 * a fresh stub, since a broken stub stays broken) the request passes and a warning is logged.
 *
 * Leases (docs/security.md "Rate limiting"): for a policy of at least LEASE_MIN_LIMIT requests,
 * the object grants this isolate a few slots of the key's window with each answer; the next
 * requests of that key spend them here, without a round trip, until they run out or the lease
 * ends. The object counts leased slots when it grants them and stamps them at the lease's end,
 * so no window ever admits more than the limit; a busy key is at most LEASE_MS stricter than the
 * exact window at its edge, and an isolate that stops getting requests wastes its unspent slots.
 */
import type { Logger } from "../../lib/log";
import { Lru } from "../../lib/lru";
import type { Policy } from "./policies";
import type { WindowDecision } from "./window";

export type LimitOutcome = { decision: WindowDecision; policy: Policy } | { decision: null; policy: Policy };

const TIMEOUT = Symbol("timeout");

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer ?? undefined));
}

/** Policies at least this large are spent through leases; smaller ones (login, checkout) ask the object every time. */
export const LEASE_MIN_LIMIT = 50;
/** How long a lease lasts; a spent slot counts until then plus the window. */
export const LEASE_MS = 1_000;

/** A twentieth of the limit per lease, at most 50: one round trip per that many requests of a busy key. */
export const leaseSize = (limit: number) => (limit < LEASE_MIN_LIMIT ? 0 : Math.min(50, Math.floor(limit / 20)));

type Lease = { slots: number; until: number; limit: number; remaining: number; resetMs: number };
/** Leases of this isolate, by key and policy (bounded: idle keys fall out). */
export type LeaseBook = Lru<Lease>;
export const newLeaseBook = (): LeaseBook => new Lru<Lease>({ maxEntries: 10_000, maxBytes: 1_000_000 });
const isolateLeases = newLeaseBook();

type HitAnswer = WindowDecision & { leased?: number; leaseUntil?: number };

function ask(ns: Env["RATE_LIMITER"], key: string, policy: Policy, want: number): Promise<HitAnswer> {
  const stub = ns.get(ns.idFromName(key));
  return stub.hit(policy.name, policy.limit, policy.windowSeconds * 1000, want > 0 ? { want, ttlMs: LEASE_MS } : null) as Promise<HitAnswer>;
}

/** Spends one slot of a live lease, if this isolate holds one for the key and policy. */
function spendLease(book: LeaseBook, id: string, now: number): WindowDecision | null {
  const lease = book.get(id, now);
  if (!lease || lease.slots <= 0 || lease.until <= now) return null;
  lease.slots -= 1;
  return { allowed: true, limit: lease.limit, remaining: lease.remaining + lease.slots, retryAfterMs: 0, resetMs: Math.max(0, lease.resetMs - (now - (lease.until - LEASE_MS))) };
}

/**
 * Counts one request of `key` under `policy` against a lease this isolate already holds, without
 * waiting on anything; null when there is none (the caller then goes through `consume`, which asks
 * the object). Exactly what `consume` would have answered for the same request.
 */
export function spendHeldLease(key: string, policy: Policy, now = Date.now(), book: LeaseBook = isolateLeases): WindowDecision | null {
  return leaseSize(policy.limit) > 0 ? spendLease(book, `${key}|${policy.name}`, now) : null;
}

/**
 * Keeps a granted lease. Requests that found no lease at the same moment each get one: the slots
 * add up instead of the last grant replacing the others (which the object already counted as
 * spent), and the merged lease ends with the earliest of them, since the object stamps each
 * lease's slots at its own end and none may be spent after that.
 */
function keepLease(book: LeaseBook, id: string, granted: Lease, now: number) {
  const held = book.get(id, now);
  const live = held && held.slots > 0 && held.until > now ? held : null;
  const lease = live ? { ...granted, slots: live.slots + granted.slots, until: Math.min(live.until, granted.until) } : granted;
  book.set(id, lease, 64, lease.until);
}

/** Counts one request of `key` under `policy`; `decision: null` means the limiter was unavailable and the request passes. */
export async function consume(
  deps: { ns: Env["RATE_LIMITER"]; logger: Logger; timeoutMs: number; leases?: LeaseBook },
  key: string,
  policy: Policy,
): Promise<LimitOutcome> {
  const book = deps.leases ?? isolateLeases;
  const id = `${key}|${policy.name}`;
  const want = leaseSize(policy.limit);
  if (want > 0) {
    const spent = spendLease(book, id, Date.now());
    if (spent) return { decision: spent, policy };
  }
  const deadline = Date.now() + deps.timeoutMs;
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const result = await withTimeout(ask(deps.ns, key, policy, want), Math.max(1, deadline - Date.now()));
      if (result === TIMEOUT) {
        deps.logger.warn("rate_limit_unavailable", { policy: policy.name, reason: "timeout", attempt });
        return { decision: null, policy };
      }
      const { leased, leaseUntil, ...decision } = result;
      if (leased && leaseUntil) {
        keepLease(book, id, { slots: leased, until: leaseUntil, limit: decision.limit, remaining: decision.remaining, resetMs: decision.resetMs }, Date.now());
        // What this client may still send: the window's room plus the slots this isolate now holds for it.
        return { decision: { ...decision, remaining: decision.remaining + leased }, policy };
      }
      return { decision, policy };
    } catch (error) {
      deps.logger.warn("rate_limit_unavailable", {
        policy: policy.name,
        reason: error instanceof Error ? error.name : "unknown",
        attempt,
      });
      if (Date.now() >= deadline) break;
    }
  }
  return { decision: null, policy };
}
