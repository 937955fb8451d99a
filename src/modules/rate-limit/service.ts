/**
 * The limiter client: asks the key's RateLimiterDO for a decision within a small time budget.
 * The shop never goes down because of the limiter: on a timeout or a fault (after one retry with
 * a fresh stub, since a broken stub stays broken) the request passes and a warning is logged.
 */
import type { Logger } from "../../lib/log";
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

function ask(ns: Env["RATE_LIMITER"], key: string, policy: Policy): Promise<WindowDecision> {
  const stub = ns.get(ns.idFromName(key));
  return stub.hit(policy.name, policy.limit, policy.windowSeconds * 1000);
}

/** Counts one request of `key` under `policy`; `decision: null` means the limiter was unavailable and the request passes. */
export async function consume(
  deps: { ns: Env["RATE_LIMITER"]; logger: Logger; timeoutMs: number },
  key: string,
  policy: Policy,
): Promise<LimitOutcome> {
  const deadline = Date.now() + deps.timeoutMs;
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const result = await withTimeout(ask(deps.ns, key, policy), Math.max(1, deadline - Date.now()));
      if (result === TIMEOUT) {
        deps.logger.warn("rate_limit_unavailable", { policy: policy.name, reason: "timeout", attempt });
        return { decision: null, policy };
      }
      return { decision: result, policy };
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
