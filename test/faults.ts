/**
 * Fault injection for tests that drive the real Worker code: an Env whose D1 database, InventoryDO
 * namespace and queue producers pass every call through hooks that may fail it, pause it, or
 * record it. A "dying" request is modelled by `dieAfter`: after that many calls every further call
 * of the env throws, as if the Worker had been stopped between two steps (no later step runs,
 * whatever the code's catch blocks try).
 */

export type D1Call = { kind: "first" | "run" | "all" | "raw" | "batch"; sql: string[] };
export type StockCall = { method: string; variantId: string };
export type QueueCall = { queue: string; body: unknown };

export type FaultHooks = {
  /** Called before every D1 call; throw to fail it, await to pause it. */
  d1?: (call: D1Call) => void | Promise<void>;
  /** Called before every InventoryDO call. */
  stock?: (call: StockCall) => void | Promise<void>;
  /** Called instead of sending to a queue when `captureQueues` is on; otherwise before the send. */
  queue?: (call: QueueCall) => void | Promise<void>;
  /** After this many calls (D1 + stock + queue), every further call throws RequestDied. */
  dieAfter?: number | null;
  /** Keep queue messages here instead of sending them (the test delivers them itself). */
  captureQueues?: boolean;
  /** Told when a real D1 or InventoryDO call starts and ends (after the hooks let it through). */
  track?: { start(kind: "d1" | "stock"): void; end(kind: "d1" | "stock"): void };
};

export class InjectedFault extends Error {
  constructor(message = "injected fault") {
    super(message);
    this.name = "InjectedFault";
  }
}

export class RequestDied extends Error {
  constructor() {
    super("the request died here (injected)");
    this.name = "RequestDied";
  }
}

export type FaultyEnv = Env & { faults: FaultHooks; calls: number; captured: QueueCall[] };

type AnyStatement = D1PreparedStatement & { __real?: D1PreparedStatement; __sql?: string };

export function faultyEnv(base: Env, hooks: FaultHooks = {}): FaultyEnv {
  const state = { faults: hooks, calls: 0, captured: [] as QueueCall[] };

  const gate = async () => {
    state.calls += 1;
    const limit = state.faults.dieAfter;
    if (limit != null && state.calls > limit) throw new RequestDied();
  };
  const tracked = async <T>(real: () => Promise<T>, kind: "d1" | "stock" = "d1"): Promise<T> => {
    const track = state.faults.track;
    track?.start(kind);
    try {
      return await real();
    } finally {
      track?.end(kind);
    }
  };

  function wrapStatement(real: D1PreparedStatement, sql: string): AnyStatement {
    const run = (kind: D1Call["kind"], fn: () => Promise<unknown>) => async () => {
      await gate();
      await state.faults.d1?.({ kind, sql: [sql] });
      return tracked(fn);
    };
    const statement = {
      __real: real,
      __sql: sql,
      bind: (...args: unknown[]) => wrapStatement(real.bind(...args), sql),
      first: (column?: string) => run("first", () => (column ? real.first(column) : real.first()))(),
      run: () => run("run", () => real.run())(),
      all: () => run("all", () => real.all())(),
      raw: (options?: { columnNames?: boolean }) => run("raw", () => real.raw(options as never))(),
    };
    return statement as unknown as AnyStatement;
  }

  /** D1 and its sessions (D1 Sessions API) are wrapped alike. */
  function wrapDb(real: Pick<D1Database, "prepare" | "batch"> & Partial<D1Database> & { getBookmark?: () => string | null }): D1Database {
    return {
      prepare: (sql: string) => wrapStatement(real.prepare(sql), sql),
      batch: async (statements: AnyStatement[]) => {
        await gate();
        await state.faults.d1?.({ kind: "batch", sql: statements.map((s) => s.__sql ?? "?") });
        return tracked(() => real.batch(statements.map((s) => s.__real ?? s)));
      },
      exec: (query: string) => real.exec!(query),
      dump: () => real.dump!(),
      withSession: (constraint?: string) => wrapDb(real.withSession!(constraint as never) as never),
      getBookmark: () => real.getBookmark?.() ?? null,
    } as unknown as D1Database;
  }
  const DB = wrapDb(base.DB);

  const realInventory = base.INVENTORY;
  const INVENTORY = {
    idFromName: (name: string) => realInventory.idFromName(name),
    idFromString: (id: string) => realInventory.idFromString(id),
    newUniqueId: () => realInventory.newUniqueId(),
    get: (id: DurableObjectId) => {
      const stub = realInventory.get(id) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      return new Proxy(
        {},
        {
          get(_target, method: string) {
            if (method === "then") return undefined;
            return async (...args: unknown[]) => {
              await gate();
              await state.faults.stock?.({ method, variantId: String(args[0]) });
              return tracked(() => stub[method]!(...args), "stock");
            };
          },
        },
      );
    },
  } as unknown as Env["INVENTORY"];

  const queue = (name: string, real: Queue) =>
    ({
      send: async (body: unknown, options?: QueueSendOptions) => {
        await gate();
        await state.faults.queue?.({ queue: name, body });
        if (state.faults.captureQueues) state.captured.push({ queue: name, body });
        else await real.send(body, options);
      },
      sendBatch: async (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => {
        await gate();
        const list = [...messages];
        for (const m of list) await state.faults.queue?.({ queue: name, body: m.body });
        if (state.faults.captureQueues) for (const m of list) state.captured.push({ queue: name, body: m.body });
        else await real.sendBatch(list, options);
      },
    }) as unknown as Queue;

  const env = {
    ...base,
    DB,
    INVENTORY,
    ORDER_EVENTS: queue("order-events", base.ORDER_EVENTS),
    EMAIL_CRITICAL: queue("email-critical", base.EMAIL_CRITICAL),
    EMAIL_BULK: queue("email-bulk", base.EMAIL_BULK),
  };
  return Object.defineProperties(env, {
    faults: { get: () => state.faults, set: (v: FaultHooks) => (state.faults = v), enumerable: false },
    calls: { get: () => state.calls, set: (v: number) => (state.calls = v), enumerable: false },
    captured: { get: () => state.captured, enumerable: false },
  }) as FaultyEnv;
}

/** A promise and its resolver, to hold a call at a chosen point and let it go later. */
export function latch() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}
