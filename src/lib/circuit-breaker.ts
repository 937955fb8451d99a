/**
 * A circuit breaker as a pure state machine: closed → (threshold consecutive failures) → open
 * for a cool-down → half-open (one probe) → closed on success, open again on failure.
 * `BreakerRegistry` keeps one per outbound provider in the isolate and reports transitions.
 */
export type BreakerState = {
  state: "closed" | "open" | "half_open";
  consecutiveFailures: number;
  openUntil: number | null;
  probeInFlight: boolean;
};
export type BreakerOptions = { failureThreshold: number; cooldownMs: number };

export const closedBreaker = (): BreakerState => ({ state: "closed", consecutiveFailures: 0, openUntil: null, probeInFlight: false });

/** Whether a call may go out now, and the state after asking. */
export function requestPermission(s: BreakerState, now: number): { allowed: boolean; next: BreakerState } {
  if (s.state === "closed") return { allowed: true, next: s };
  if (s.state === "open" && s.openUntil !== null && now >= s.openUntil) {
    return { allowed: true, next: { ...s, state: "half_open", probeInFlight: true } };
  }
  if (s.state === "half_open" && !s.probeInFlight) return { allowed: true, next: { ...s, probeInFlight: true } };
  return { allowed: false, next: s };
}

export function recordSuccess(_s: BreakerState): BreakerState {
  return closedBreaker();
}

export function recordFailure(s: BreakerState, now: number, o: BreakerOptions): BreakerState {
  const consecutiveFailures = s.consecutiveFailures + 1;
  if (s.state === "half_open" || consecutiveFailures >= o.failureThreshold) {
    return { state: "open", consecutiveFailures, openUntil: now + o.cooldownMs, probeInFlight: false };
  }
  return { ...s, consecutiveFailures };
}

export type BreakerSnapshot = BreakerState & { name: string };
export type BreakerListener = (name: string, from: BreakerState["state"], to: BreakerState) => void;

export class BreakerRegistry {
  private readonly states = new Map<string, BreakerState>();
  constructor(
    private readonly options: BreakerOptions,
    private readonly onTransition: BreakerListener = () => {},
  ) {}

  /** Runs `call` through the named breaker; throws BreakerOpenError without calling while open. */
  async run<T>(name: string, call: () => Promise<T>, now = Date.now()): Promise<T> {
    const current = this.states.get(name) ?? closedBreaker();
    const { allowed, next } = requestPermission(current, now);
    this.set(name, current, next);
    if (!allowed) throw new BreakerOpenError(name, (next.openUntil ?? now) - now);
    try {
      const result = await call();
      this.set(name, next, recordSuccess(next));
      return result;
    } catch (error) {
      this.set(name, next, recordFailure(this.states.get(name) ?? next, now, this.options));
      throw error;
    }
  }

  snapshot(): BreakerSnapshot[] {
    return [...this.states.entries()].map(([name, s]) => ({ name, ...s }));
  }

  reset(): void {
    this.states.clear();
  }

  private set(name: string, from: BreakerState, to: BreakerState) {
    this.states.set(name, to);
    if (from.state !== to.state) this.onTransition(name, from.state, to);
  }
}

export class BreakerOpenError extends Error {
  constructor(readonly breaker: string, readonly retryInMs: number) {
    super(`circuit ${breaker} is open`);
    this.name = "BreakerOpenError";
  }
}
