/**
 * For benchmarks (D1_TRIPS_HEADER=true, never in production): counts the sequential D1 round trips
 * a request made before its answer — a call that starts while no other is in flight is one more trip
 * a far shopper waits for — and answers them in `X-D1-Trips`, and the statements those trips ran in
 * `X-D1-Statements` (each one is work for D1, and locally a statement costs the Worker's process
 * ≈ 0.07 ms in Miniflare's D1). Off by default: no wrapper at all.
 *
 * The counting env is made once per isolate env and finds the request's counter through
 * AsyncLocalStorage. A fresh env per request would measure something production never runs:
 * everything the isolate keeps per env (the config, the catalog and market caches, the read
 * lane) would start cold on every request, and the checkout benchmark would time KV reads and
 * config parsing instead of the checkout.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createMiddleware } from "hono/factory";
import { getConfig } from "../../env";
import type { AppEnv } from "../types";

type Counter = { trips: number; inFlight: number; statements: number };

const requestCounter = new AsyncLocalStorage<Counter>();
const countingEnvs = new WeakMap<Env, Env>();

function counted<T>(statements: number, run: () => Promise<T>): Promise<T> {
  const counter = requestCounter.getStore();
  if (!counter) return run();
  counter.statements += statements;
  if (counter.inFlight === 0) counter.trips += 1;
  counter.inFlight += 1;
  return run().finally(() => (counter.inFlight -= 1));
}

function countingStatement(real: D1PreparedStatement): D1PreparedStatement {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "__real") return target;
      if (prop === "bind") return (...args: unknown[]) => countingStatement(target.bind(...args));
      if (prop === "first" || prop === "run" || prop === "all" || prop === "raw") {
        return (...args: unknown[]) => counted(1, () => (target[prop] as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      }
      return Reflect.get(target, prop);
    },
  });
}

function countingDb(real: D1Database | D1DatabaseSession): D1Database {
  const unwrap = (s: D1PreparedStatement) => (s as unknown as { __real?: D1PreparedStatement }).__real ?? s;
  return new Proxy(real as D1Database, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => countingStatement(target.prepare(sql));
      if (prop === "batch") return (statements: D1PreparedStatement[]) => counted(statements.length, () => target.batch(statements.map(unwrap)));
      if (prop === "withSession") return (constraint?: string) => countingDb(target.withSession(constraint as never));
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export const d1TripsHeader = createMiddleware<AppEnv>(async (c, next) => {
  if (getConfig(c.env).D1_TRIPS_HEADER !== true) return next();
  const counter: Counter = { trips: 0, inFlight: 0, statements: 0 };
  let counting = countingEnvs.get(c.env);
  if (!counting) countingEnvs.set(c.env, (counting = { ...c.env, DB: countingDb(c.env.DB) }));
  c.env = counting;
  await requestCounter.run(counter, next);
  c.res.headers.set("X-D1-Trips", String(counter.trips));
  c.res.headers.set("X-D1-Statements", String(counter.statements));
});
