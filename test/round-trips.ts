/**
 * Counts what one request costs in round trips: D1 calls and batches, and how many of them were
 * sequential (a call that starts while no other D1 call is in flight is one more trip a far
 * shopper waits for); InventoryDO calls, and how many sequential phases they made.
 */
import { faultyEnv } from "./faults";

export type TripCount = { d1Calls: number; d1Batches: number; d1Sequential: number; stockCalls: number; stockSequential: number };

export function countingEnv(base: Env) {
  const count: TripCount = { d1Calls: 0, d1Batches: 0, d1Sequential: 0, stockCalls: 0, stockSequential: 0 };
  const inFlight = { d1: 0, stock: 0 };
  const env = faultyEnv(base, {
    d1: ({ kind }) => {
      if (kind === "batch") count.d1Batches += 1;
      else count.d1Calls += 1;
    },
    track: {
      start(kind) {
        if (kind === "d1") {
          if (inFlight.d1 === 0) count.d1Sequential += 1;
        } else {
          count.stockCalls += 1;
          if (inFlight.stock === 0) count.stockSequential += 1;
        }
        inFlight[kind] += 1;
      },
      end(kind) {
        inFlight[kind] -= 1;
      },
    },
  });
  const reset = () => Object.assign(count, { d1Calls: 0, d1Batches: 0, d1Sequential: 0, stockCalls: 0, stockSequential: 0 });
  return { env, count, reset };
}
