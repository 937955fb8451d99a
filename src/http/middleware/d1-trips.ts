/**
 * For benchmarks (D1_TRIPS_HEADER=true, never in production): counts the sequential D1 round trips
 * a request made before its answer — a call that starts while no other is in flight is one more trip
 * a far shopper waits for — and answers them in `X-D1-Trips`. Off by default: no wrapper at all.
 */
import { createMiddleware } from "hono/factory";
import { getConfig } from "../../env";
import type { AppEnv } from "../types";

type Counter = { trips: number; inFlight: number };

function counted<T>(counter: Counter, run: () => Promise<T>): Promise<T> {
  if (counter.inFlight === 0) counter.trips += 1;
  counter.inFlight += 1;
  return run().finally(() => (counter.inFlight -= 1));
}

function countingStatement(counter: Counter, real: D1PreparedStatement): D1PreparedStatement {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "__real") return target;
      if (prop === "bind") return (...args: unknown[]) => countingStatement(counter, target.bind(...args));
      if (prop === "first" || prop === "run" || prop === "all" || prop === "raw") {
        return (...args: unknown[]) => counted(counter, () => (target[prop] as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      }
      return Reflect.get(target, prop);
    },
  });
}

function countingDb(counter: Counter, real: D1Database | D1DatabaseSession): D1Database {
  const unwrap = (s: D1PreparedStatement) => (s as unknown as { __real?: D1PreparedStatement }).__real ?? s;
  return new Proxy(real as D1Database, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => countingStatement(counter, target.prepare(sql));
      if (prop === "batch") return (statements: D1PreparedStatement[]) => counted(counter, () => target.batch(statements.map(unwrap)));
      if (prop === "withSession") return (constraint?: string) => countingDb(counter, target.withSession(constraint as never));
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export const d1TripsHeader = createMiddleware<AppEnv>(async (c, next) => {
  if (getConfig(c.env).D1_TRIPS_HEADER !== true) return next();
  const counter: Counter = { trips: 0, inFlight: 0 };
  c.env = { ...c.env, DB: countingDb(counter, c.env.DB) };
  await next();
  c.res.headers.set("X-D1-Trips", String(counter.trips));
});
