import { describe, expect, it } from "vitest";
import { BreakerOpenError, BreakerRegistry } from "../../src/lib/circuit-breaker";

const options = { failureThreshold: 3, cooldownMs: 1000 };
const fail = () => Promise.reject(new Error("provider down"));
const ok = () => Promise.resolve("sent");

describe("circuit breaker", () => {
  it("opens after the threshold of consecutive failures and stops calling the provider", async () => {
    const transitions: string[] = [];
    const breakers = new BreakerRegistry(options, (name, from, to) => transitions.push(`${name}:${from}->${to.state}`));
    let calls = 0;
    const counted = () => { calls += 1; return fail(); };
    for (let i = 0; i < 3; i++) await expect(breakers.run("email", counted, 0)).rejects.toThrow("provider down");
    await expect(breakers.run("email", counted, 10)).rejects.toBeInstanceOf(BreakerOpenError);
    expect(calls).toBe(3);
    expect(transitions).toEqual(["email:closed->open"]);
  });

  it("lets one probe through after the cool-down and closes on its success", async () => {
    const breakers = new BreakerRegistry(options);
    for (let i = 0; i < 3; i++) await breakers.run("email", fail, 0).catch(() => {});
    await expect(breakers.run("email", ok, 1500)).resolves.toBe("sent");
    expect(breakers.snapshot()[0]).toMatchObject({ state: "closed", consecutiveFailures: 0 });
  });

  it("reopens when the probe fails", async () => {
    const breakers = new BreakerRegistry(options);
    for (let i = 0; i < 3; i++) await breakers.run("email", fail, 0).catch(() => {});
    await breakers.run("email", fail, 1500).catch(() => {});
    expect(breakers.snapshot()[0]!.state).toBe("open");
  });

  it("resets the failure count on a success while closed", async () => {
    const breakers = new BreakerRegistry(options);
    await breakers.run("email", fail, 0).catch(() => {});
    await breakers.run("email", fail, 0).catch(() => {});
    await breakers.run("email", ok, 0);
    await breakers.run("email", fail, 0).catch(() => {});
    expect(breakers.snapshot()[0]).toMatchObject({ state: "closed", consecutiveFailures: 1 });
  });

  it("keeps breakers of different providers apart", async () => {
    const breakers = new BreakerRegistry(options);
    for (let i = 0; i < 3; i++) await breakers.run("email", fail, 0).catch(() => {});
    await expect(breakers.run("payments", ok, 0)).resolves.toBe("sent");
  });
});
