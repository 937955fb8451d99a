/**
 * The model's scheduler: every D1 or InventoryDO call of the operations under test parks here,
 * and one call at a time is let through, so an interleaving is a choice this class makes — from a
 * seed, hence replayable. The policy is PCT-like (probabilistic concurrency testing): each thread
 * (one request or sweep) gets a random priority and the highest runs; right after a thread writes,
 * it is demoted below everyone with some probability. Preempting just after a write is what
 * exposes the races that lose money (a transition made, its compensation not yet), which a
 * uniformly random choice at each call almost never reaches.
 */

type Parked = { thread: Thread; release: () => void };
export type Thread = { id: number; label: string; priority: number; lastWasWrite: boolean };

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SeededScheduler {
  private readonly random: () => number;
  private readonly parked: Parked[] = [];
  private nextThread = 0;
  private lowest = 0;
  /** Released calls, in order: the interleaving, for the report of a failing run. */
  readonly trace: string[] = [];

  /** How likely a thread is preempted right after it writes. */
  private readonly demoteAfterWrite = 0.35;

  constructor(seed: number) {
    this.random = prng(seed);
  }

  thread(label: string): Thread {
    this.nextThread += 1;
    return { id: this.nextThread, label, priority: this.random(), lastWasWrite: false };
  }

  /** Waits until this thread's call may run. */
  park(thread: Thread, what: string, isWrite: boolean): Promise<void> {
    if (thread.lastWasWrite && this.random() < this.demoteAfterWrite) {
      this.lowest -= 1;
      thread.priority = this.lowest;
    }
    thread.lastWasWrite = isWrite;
    return new Promise((release) => this.parked.push({ thread, release: () => {
      this.trace.push(`${thread.label}: ${what}`);
      release();
    } }));
  }

  /** Drives parked calls one at a time until `done` settles; `settle` waits for the released call's effects. */
  async run(done: Promise<unknown>, settle: () => Promise<void>): Promise<void> {
    let finished = false;
    void done.finally(() => (finished = true));
    for (;;) {
      await settle();
      if (this.parked.length === 0) {
        if (finished) return;
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      let best = 0;
      for (let i = 1; i < this.parked.length; i++) if (this.parked[i]!.thread.priority > this.parked[best]!.thread.priority) best = i;
      const [next] = this.parked.splice(best, 1);
      next!.release();
    }
  }
}
