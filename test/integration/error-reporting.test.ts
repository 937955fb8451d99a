import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";

const DSN = "https://publickey@o123.ingest.sentry.io/456";

afterEach(() => vi.restoreAllMocks());

function appWithFailingRoute() {
  const app = createApp();
  app.post("/boom", () => {
    throw new Error("db exploded for ann@example.com with Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig");
  });
  return app;
}

describe("unhandled errors", () => {
  it("answer 500 INTERNAL without details and report to Sentry, scrubbed and tagged", async () => {
    const sent: { url: string; body: string }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      sent.push({ url: String(input instanceof Request ? input.url : input), body: String(init?.body ?? "") });
      return new Response("{}", { status: 200 });
    });
    const ctx = createExecutionContext();
    const res = await appWithFailingRoute().fetch(
      new Request("https://edgeshop.test/boom?email=ann@example.com", {
        method: "POST",
        headers: { Authorization: "Bearer secret-token", Cookie: "session=abc", "X-Request-Id": "req-sentry-1", "Content-Type": "application/json" },
        body: JSON.stringify({ password: "hunter2hunter2", email: "ann@example.com" }),
      }),
      { ...env, SENTRY_DSN: DSN },
      ctx,
    );
    await waitOnExecutionContext(ctx);

    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: "INTERNAL", message: "Internal error" });
    expect(JSON.stringify(body)).not.toContain("exploded");

    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toContain("o123.ingest.sentry.io/api/456/envelope");
    const event = sent[0]!.body;
    expect(event).toContain("req-sentry-1");
    expect(event).toContain('"route":"/boom"');
    expect(event).toContain("db exploded");
    for (const secret of ["ann@example.com", "secret-token", "hunter2", "session=abc", "eyJhbGciOiJIUzI1NiJ9"]) {
      expect(event).not.toContain(secret);
    }
  });

  it("report nothing when SENTRY_DSN is not set", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const ctx = createExecutionContext();
    const res = await appWithFailingRoute().fetch(new Request("https://edgeshop.test/boom", { method: "POST" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});
