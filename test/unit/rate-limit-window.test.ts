import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, SlidingLog } from "../../src/modules/rate-limit/window";

/** Runs a sequence of request times through the window; returns the accepted times. */
function simulate(times: number[], limit: number, windowMs: number) {
  let hits: number[] = [];
  const accepted: number[] = [];
  const decisions = times.map((now) => {
    const { decision, live } = decide(hits, now, limit, windowMs);
    hits = live;
    if (decision.allowed) accepted.push(now);
    return decision;
  });
  return { accepted, decisions };
}

const sortedTimes = fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 200 }).map((t) => t.sort((a, b) => a - b));

describe("sliding window", () => {
  it("accepts exactly `limit` requests in a burst and refuses the next with a retry time", () => {
    const { accepted, decisions } = simulate([100, 100, 100, 100], 3, 1000);
    expect(accepted).toEqual([100, 100, 100]);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    expect(decisions[3]).toMatchObject({ allowed: false, retryAfterMs: 1000 });
  });

  it("slides: a slot frees exactly when the oldest request leaves the window, not at a bucket edge", () => {
    const { decisions } = simulate([0, 500, 999, 1000, 1001], 2, 1000);
    // 0 and 500 fill the window; at 999 it is full; at 1000 the request at 0 has left.
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false, true, false]);
    expect(decisions[2]!.retryAfterMs).toBe(1);
    expect(decisions[4]!.retryAfterMs).toBe(499);
  });

  it("never accepts more than `limit` in any window of its length (property)", () => {
    fc.assert(
      fc.property(sortedTimes, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 2_000 }), (times, limit, windowMs) => {
        const { accepted } = simulate(times, limit, windowMs);
        for (let i = 0; i < accepted.length; i++) {
          const inWindow = accepted.filter((t) => t > accepted[i]! - windowMs && t <= accepted[i]!).length;
          expect(inWindow).toBeLessThanOrEqual(limit);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a request only when its window already holds `limit` accepted ones (property: exact, not approximate)", () => {
    fc.assert(
      fc.property(sortedTimes, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 2_000 }), (times, limit, windowMs) => {
        const { accepted, decisions } = simulate(times, limit, windowMs);
        times.forEach((now, i) => {
          const before = accepted.filter((t) => t > now - windowMs && t <= now);
          if (!decisions[i]!.allowed) expect(before.length).toBe(limit);
        });
      }),
      { numRuns: 300 },
    );
  });

  it("reports remaining and reset consistently with the timestamps", () => {
    fc.assert(
      fc.property(sortedTimes, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 2_000 }), (times, limit, windowMs) => {
        for (const d of simulate(times, limit, windowMs).decisions) {
          expect(d.remaining).toBeGreaterThanOrEqual(0);
          expect(d.remaining).toBeLessThan(limit);
          expect(d.resetMs).toBeLessThanOrEqual(windowMs);
          if (!d.allowed) expect(d.retryAfterMs).toBeGreaterThan(0);
        }
      }),
    );
  });
});

describe("SlidingLog (the Durable Object's in-place log)", () => {
  it("decides exactly as the reference `decide` for any sequence of requests (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.array(fc.integer({ min: 0, max: 2_000 }), { minLength: 1, maxLength: 3_000 }),
        (limit, windowMs, gaps) => {
          const log = new SlidingLog();
          let reference: number[] = [];
          let now = 0;
          for (const gap of gaps) {
            now += gap;
            const expected = decide(reference, now, limit, windowMs);
            reference = expected.live;
            const actual = log.decide(now, limit, windowMs);
            if (JSON.stringify(actual.decision) !== JSON.stringify(expected.decision)) return false;
            if (actual.expired !== expected.expired || log.size !== reference.length) return false;
          }
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("leased slots", () => {
  it("a slot spent at any moment before the lease ends never lets a window hold more than the limit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 100, max: 5_000 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 400 }), lease: fc.integer({ min: 0, max: 10 }), spendAfter: fc.integer({ min: 0, max: 99 }) }), { maxLength: 80 }),
        (limit, windowMs, events) => {
          const log = new SlidingLog();
          const admitted: number[] = [];
          let now = 1_000_000;
          for (const e of events) {
            now += e.gap;
            const { decision } = log.decide(now, limit, windowMs);
            if (!decision.allowed) continue;
            admitted.push(now);
            const until = now + 100;
            const granted = log.lease(limit, e.lease, until);
            // The isolate spends its slots somewhere before the lease ends.
            for (let i = 0; i < granted; i++) admitted.push(now + Math.min(e.spendAfter, 99));
          }
          admitted.sort((a, b) => a - b);
          for (let i = 0; i < admitted.length; i++) {
            const inWindow = admitted.filter((t) => t > admitted[i]! - windowMs && t <= admitted[i]!).length;
            expect(inWindow).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });
});
