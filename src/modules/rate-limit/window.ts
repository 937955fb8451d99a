/**
 * Exact sliding-window math (a sliding log): a request at `now` is accepted when fewer than
 * `limit` accepted requests lie in the window (now - windowMs, now]. Rejected requests are not
 * recorded, so no window of length `windowMs` ever holds more than `limit` accepted requests and
 * a request is refused only when its window is truly full. Pure: the Durable Object stores the
 * timestamps, this module decides.
 */

export type WindowDecision = {
  allowed: boolean;
  limit: number;
  /** Requests still allowed in the current window after this one. */
  remaining: number;
  /** Milliseconds until the window has room again (0 when it has room now). */
  retryAfterMs: number;
  /** Milliseconds until the oldest counted request leaves the window (when `remaining` grows). */
  resetMs: number;
};

/** Timestamps (ascending) of accepted requests still inside the window ending at `now`. */
export function liveHits(hits: readonly number[], now: number, windowMs: number): number[] {
  const cutoff = now - windowMs;
  let first = 0;
  while (first < hits.length && hits[first]! <= cutoff) first++;
  return first === 0 ? hits.slice() : hits.slice(first);
}

/**
 * Decides one request against the accepted timestamps of its key; returns the decision and the
 * live timestamps including this request when it was accepted.
 */
export function decide(
  hits: readonly number[],
  now: number,
  limit: number,
  windowMs: number,
): { decision: WindowDecision; live: number[]; expired: number } {
  const live = liveHits(hits, now, windowMs);
  const expired = hits.length - live.length;
  const allowed = live.length < limit;
  if (allowed) live.push(now);
  // The slot that frees first is the (live.length - limit)-th oldest; with at most `limit`
  // stored that is the oldest.
  const blocker = live[Math.max(0, live.length - limit)];
  const untilOldestLeaves = live.length > 0 ? live[0]! + windowMs - now : 0;
  const decision: WindowDecision = {
    allowed,
    limit,
    remaining: Math.max(0, limit - live.length),
    retryAfterMs: allowed ? 0 : Math.max(1, blocker! + windowMs - now),
    resetMs: Math.max(0, untilOldestLeaves),
  };
  return { decision, live, expired };
}

/**
 * The same decision as `decide`, in amortized O(1) per request: accepted timestamps live in an
 * array read from `head`, expired ones are skipped by moving `head`, and the array is compacted
 * only when the dead prefix outgrows the live part. `decide` stays the reference (a property test
 * holds the two equal).
 */
export class SlidingLog {
  private times: number[] = [];
  private head = 0;

  constructor(initial: readonly number[] = []) {
    this.times = [...initial];
  }

  get size(): number {
    return this.times.length - this.head;
  }

  get newest(): number | undefined {
    return this.size > 0 ? this.times[this.times.length - 1] : undefined;
  }

  /** Drops timestamps at or before `now - windowMs`; answers how many left. */
  expire(now: number, windowMs: number): number {
    const cutoff = now - windowMs;
    const from = this.head;
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) this.head++;
    const expired = this.head - from;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return expired;
  }

  decide(now: number, limit: number, windowMs: number): { decision: WindowDecision; expired: number } {
    const expired = this.expire(now, windowMs);
    const allowed = this.size < limit;
    // Never before the newest stamp (a lease's slots are stamped at its end): the log stays
    // ascending, and a hit is counted at least as long as it was really inside the window.
    if (allowed) this.times.push(Math.max(now, this.newest ?? now));
    const count = this.size;
    const blocker = this.times[this.head + Math.max(0, count - limit)];
    const untilOldestLeaves = count > 0 ? this.times[this.head]! + windowMs - now : 0;
    const decision: WindowDecision = {
      allowed,
      limit,
      remaining: Math.max(0, limit - count),
      retryAfterMs: allowed ? 0 : Math.max(1, blocker! + windowMs - now),
      resetMs: Math.max(0, untilOldestLeaves),
    };
    return { decision, expired };
  }

  /**
   * Grants up to `want` more slots of the window to be spent elsewhere until `until`, counted now
   * and stamped `until`: a slot spent at any moment before then leaves the window no earlier than
   * a hit made at that moment would. Answers how many were granted (never past `limit`).
   */
  lease(limit: number, want: number, until: number): number {
    const granted = Math.max(0, Math.min(want, limit - this.size));
    for (let i = 0; i < granted; i++) this.times.push(until);
    return granted;
  }
}
