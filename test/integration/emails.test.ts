/**
 * Invariant: every outbox email ends sent exactly once or dead-lettered with its last error —
 * none missing, none sent twice — however the provider fails and however often Queues redelivers.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { newId } from "../../src/lib/ids";
import { emailProviderOverride, localOutbox, ProviderError, type EmailProvider, type OutgoingEmail } from "../../src/modules/notifications/providers";
import { outboundBreakers } from "../../src/modules/outbound/breakers";
import { STUCK_QUERIES } from "../../src/modules/notifications/repo";
import { sweepStuckOutbox } from "../../src/modules/notifications/service";
import { processEmailMessage } from "../../src/queues/email";
import { call, createAdmin, registerCustomer } from "../helpers";

const MAX_RETRIES = 8; // wrangler.toml: email-critical max_retries

afterEach(() => {
  emailProviderOverride.provider = null;
  outboundBreakers.reset();
  vi.restoreAllMocks();
});

async function insertOrderEmail(label: string) {
  const id = newId("eml");
  const now = Date.now();
  const payload = {
    orderNumber: `ES-${label}`,
    name: "Ann",
    currency: "USD",
    lines: [{ title: "Classic Mug", sku: "MUG-1", quantity: 2, unitPrice: 1250, total: 2500 }],
    totals: { subtotal: 2500, discount: 0, tax: 250, total: 2750 },
  };
  await env.DB.prepare(
    "INSERT INTO email_outbox (id, template, to_address, payload, priority, status, attempts, dedupe_key, created_at, updated_at) VALUES (?, 'order_confirmation', ?, ?, 'critical', 'pending', 0, ?, ?, ?)",
  )
    .bind(id, `buyer-${label}@example.test`, JSON.stringify(payload), `order_confirmation:test-${id}`, now, now)
    .run();
  return id;
}

async function deliver(queue: string, bodies: { id: string; body: unknown; attempts?: number }[]) {
  const batch = createMessageBatch(queue, bodies.map((b) => ({ id: b.id, timestamp: new Date(), attempts: b.attempts ?? 1, body: b.body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

const rowOf = (id: string) => env.DB.prepare("SELECT status, attempts, last_error FROM email_outbox WHERE id = ?").bind(id).first<{ status: string; attempts: number; last_error: string | null }>();

function recordingProvider(failureRate: number, seed: number): EmailProvider & { sends: Map<string, number> } {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const sends = new Map<string, number>();
  return {
    name: "flaky",
    sends,
    async send(email: OutgoingEmail) {
      if (random() < failureRate) throw new Error("provider 503");
      sends.set(email.idempotencyKey, (sends.get(email.idempotencyKey) ?? 0) + 1);
      return { providerMessageId: email.idempotencyKey };
    },
  };
}

describe("email-critical consumer", () => {
  it("sends the password reset email from the outbox and marks it sent", async () => {
    const customer = await registerCustomer();
    await call("POST", "/api/v1/auth/password/forgot", { body: { email: customer.email } });
    const row = await env.DB.prepare("SELECT id FROM email_outbox WHERE to_address = ?").bind(customer.email).first<{ id: string }>();
    const result = await deliver("email-critical", [{ id: "m1", body: { outboxId: row!.id } }]);
    expect(result.explicitAcks).toEqual(["m1"]);
    expect((await rowOf(row!.id))!.status).toBe("sent");
    const sent = localOutbox.filter((e) => e.idempotencyKey === row!.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to).toBe(customer.email);
    expect(sent[0]!.subject).toMatch(/reset/i);
  });

  it("sends once when the same message arrives twice", async () => {
    const provider = recordingProvider(0, 1);
    emailProviderOverride.provider = provider;
    const id = await insertOrderEmail("dup");
    await deliver("email-critical", [{ id: "a", body: { outboxId: id } }, { id: "b", body: { outboxId: id } }]);
    await deliver("email-critical", [{ id: "c", body: { outboxId: id } }]);
    expect(provider.sends.get(id)).toBe(1);
  });

  it("retries a failed send with a backoff delay and keeps the error", async () => {
    emailProviderOverride.provider = recordingProvider(1, 1);
    const id = await insertOrderEmail("fail");
    const result = await deliver("email-critical", [{ id: "m", body: { outboxId: id } }]);
    expect(result.retryMessages.map((r) => r.msgId)).toEqual(["m"]);
    expect(await rowOf(id)).toMatchObject({ status: "pending", attempts: 1, last_error: expect.stringContaining("provider 503") });

    // getQueueResult does not report delays, so look at the retry call itself.
    const retries: unknown[] = [];
    const message = { id: "x", attempts: 3, body: { outboxId: id }, ack: () => {}, retry: (o: unknown) => retries.push(o) };
    await processEmailMessage(env, message as unknown as Message<unknown>);
    expect(retries).toHaveLength(1);
    expect((retries[0] as { delaySeconds: number }).delaySeconds).toBeGreaterThanOrEqual(20);
  });

  it("stops calling a failing provider once its circuit opens, and retries later instead", async () => {
    const provider = recordingProvider(1, 1);
    let calls = 0;
    emailProviderOverride.provider = { name: "down", send: (e) => { calls += 1; return provider.send(e); } };
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => insertOrderEmail(`cb-${i}`)));
    const result = await deliver("email-critical", ids.map((id, i) => ({ id: `m${i}`, body: { outboxId: id } })));
    expect(calls).toBe(5); // the threshold; the other three never reach the provider
    expect(result.retryMessages).toHaveLength(8);
    const admin = await createAdmin();
    const breakers = await call("GET", "/api/v1/admin/circuit-breakers", { token: admin.token });
    expect(breakers.json.data).toEqual(expect.arrayContaining([expect.objectContaining({ name: "email:down", state: "open" })]));
  });
});

describe("email-dlq consumer and admin retry", () => {
  it("marks a dead-lettered email dead, lists it for admins, and sends it on retry", async () => {
    emailProviderOverride.provider = recordingProvider(1, 1);
    const id = await insertOrderEmail("dead");
    await deliver("email-critical", [{ id: "m", body: { outboxId: id } }]);
    await deliver("email-dlq", [{ id: "d", body: { outboxId: id } }]);
    expect((await rowOf(id))!.status).toBe("dead");

    const admin = await createAdmin();
    const dead = await call("GET", "/api/v1/admin/emails?status=dead", { token: admin.token });
    expect(dead.status).toBe(200);
    const listed = dead.json.data.find((e: { id: string }) => e.id === id);
    expect(listed).toMatchObject({ status: "dead", lastError: expect.stringContaining("provider 503") });
    expect(JSON.stringify(dead.json)).not.toContain("@example.test");

    emailProviderOverride.provider = recordingProvider(0, 1);
    const retried = await call("POST", `/api/v1/admin/emails/${id}/retry`, { token: admin.token });
    expect(retried.status).toBe(200);
    expect(retried.json.status).toBe("pending");
    await deliver("email-critical", [{ id: "r", body: { outboxId: id } }]);
    expect((await rowOf(id))!.status).toBe("sent");
  });

  it("never marks a sent email dead", async () => {
    emailProviderOverride.provider = recordingProvider(0, 1);
    const id = await insertOrderEmail("sent-then-dlq");
    await deliver("email-critical", [{ id: "m", body: { outboxId: id } }]);
    await deliver("email-dlq", [{ id: "d", body: { outboxId: id } }]);
    expect((await rowOf(id))!.status).toBe("sent");
  });
});

describe("the outbox under a provider failing 30% of calls", () => {
  it("ends 200 emails each sent exactly once or dead-lettered, none missing", async () => {
    const provider = recordingProvider(0.3, 7);
    emailProviderOverride.provider = provider;
    const ids = [];
    for (let i = 0; i < 200; i++) ids.push(await insertOrderEmail(`bulk-${i}`));

    // Simulate Queues: redeliver what the consumer retried, dead-letter after max_retries, and
    // duplicate a message now and then (at-least-once delivery).
    let inFlight = ids.map((id, i) => ({ id: `m${i}`, body: { outboxId: id }, attempts: 1 }));
    let round = 0;
    while (inFlight.length > 0 && round < 20) {
      round += 1;
      outboundBreakers.reset(); // the cool-down passes between redelivery rounds
      const withDuplicates = [...inFlight, ...inFlight.filter((_, i) => i % 17 === 0).map((m) => ({ ...m, id: `${m.id}-dup` }))];
      const result = await deliver("email-critical", withDuplicates);
      const retried = new Set(result.retryMessages.map((r) => r.msgId));
      const next = [];
      for (const message of inFlight) {
        if (!retried.has(message.id)) continue;
        if (message.attempts > MAX_RETRIES) await deliver("email-dlq", [{ id: `${message.id}-dlq`, body: message.body }]);
        else next.push({ ...message, attempts: message.attempts + 1 });
      }
      inFlight = next;
    }

    const wanted = new Set(ids);
    const all = await env.DB.prepare("SELECT id, status FROM email_outbox").all<{ id: string; status: string }>();
    const rows = { results: all.results.filter((r) => wanted.has(r.id)) };
    const statuses = rows.results.map((r) => r.status);
    expect(statuses).toHaveLength(200);
    expect(statuses.every((s) => s === "sent" || s === "dead")).toBe(true);
    expect([...provider.sends.values()].every((n) => n === 1)).toBe(true);
    const sent = rows.results.filter((r) => r.status === "sent").map((r) => r.id);
    expect(new Set(sent)).toEqual(new Set(provider.sends.keys()));
  });
});

describe("cron: sweep_stuck_outbox", () => {
  it("re-enqueues pending rows whose message was lost, once per sweep window", async () => {
    const id = await insertOrderEmail("lost");
    const sent: unknown[] = [];
    const fakeEnv = { ...env, EMAIL_CRITICAL: { sendBatch: async (batch: unknown[]) => void sent.push(...batch) } } as unknown as Env;
    const later = Date.now() + 3 * 60_000;
    await sweepStuckOutbox(fakeEnv, later);
    expect(sent).toEqual(expect.arrayContaining([expect.objectContaining({ body: expect.objectContaining({ outboxId: id }) })]));
    const countBefore = sent.length;
    await sweepStuckOutbox(fakeEnv, later + 1000);
    expect(sent.length).toBe(countBefore);
  });
});

describe("PUT /api/v1/store/account/marketing and POST /api/v1/admin/campaigns", () => {
  it("emails opted-in customers only, once each, through the bulk queue", async () => {
    const optedIn = await registerCustomer("optin");
    const optedOut = await registerCustomer("optout");
    expect((await call("PUT", "/api/v1/store/account/marketing", { token: optedIn.token, body: { marketingOptIn: true } })).status).toBe(200);
    expect((await call("PUT", "/api/v1/store/account/marketing", { token: optedOut.token, body: { marketingOptIn: false } })).status).toBe(200);
    const admin = await createAdmin();
    const started = await call("POST", "/api/v1/admin/campaigns", { token: admin.token, body: { subject: "Winter sale", body: "20% off boots" } });
    expect(started.status).toBe(202);
    const message = { type: "campaign", campaignId: started.json.campaignId, subject: "Winter sale", body: "20% off boots", afterUserId: null };
    await deliver("email-bulk", [{ id: "c1", body: message }, { id: "c2", body: message }]);
    const rows = await env.DB.prepare("SELECT to_address FROM email_outbox WHERE template = 'promotion' AND dedupe_key LIKE ?").bind(`campaign:${started.json.campaignId}:%`).all<{ to_address: string }>();
    const recipients = rows.results.map((r) => r.to_address);
    expect(recipients.filter((r) => r === optedIn.email)).toHaveLength(1);
    expect(recipients).not.toContain(optedOut.email);
  });
});

describe("retry backoff", () => {
  it("grows with attempts and stays within 1 s … 15 min", async () => {
    const { retryDelaySeconds } = await import("../../src/queues/backoff");
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempts, r) => {
        const delay = retryDelaySeconds(attempts, () => r);
        return delay >= 1 && delay <= 900 && Number.isInteger(delay);
      }),
    );
    expect(retryDelaySeconds(5, () => 0)).toBeGreaterThan(retryDelaySeconds(1, () => 0));
  });
});

describe("outbox and email queues (issue 11, item 9)", () => {
  /** An env whose analytics and email queues are recorded (nothing reaches the real queues). */
  function recordingEnv() {
    const points: AnalyticsEngineDataPoint[] = [];
    const enqueued: { body: { outboxId: string } }[] = [];
    const queue = { sendBatch: async (batch: { body: { outboxId: string } }[]) => void enqueued.push(...batch) };
    const testEnv = {
      ...env,
      ANALYTICS: { writeDataPoint: (p: AnalyticsEngineDataPoint) => void points.push(p) },
      EMAIL_CRITICAL: queue,
      EMAIL_BULK: queue,
    } as unknown as Env;
    return { points, enqueued, testEnv };
  }
  const sweptIds = (enqueued: { body: { outboxId: string } }[]) => enqueued.map((m) => m.body.outboxId);

  it("item 9a: the DLQ does not mark dead a row another copy of its message is sending; that send ends it sent", async () => {
    let startSending!: () => void;
    let finishSending!: () => void;
    const sending = new Promise<void>((resolve) => (startSending = resolve));
    const gate = new Promise<void>((resolve) => (finishSending = resolve));
    const sends: string[] = [];
    emailProviderOverride.provider = {
      name: "slow",
      async send(email) {
        startSending();
        await gate;
        sends.push(email.idempotencyKey);
        return { providerMessageId: email.idempotencyKey };
      },
    };
    const id = await insertOrderEmail("live-lease");
    const live = deliver("email-critical", [{ id: "copy-live", body: { outboxId: id } }]);
    await sending; // the live copy holds the row (status sending, fresh lease)
    await deliver("email-dlq", [{ id: "copy-exhausted", body: { outboxId: id } }]);
    expect((await rowOf(id))!.status).toBe("sending");
    finishSending();
    expect((await live).explicitAcks).toEqual(["copy-live"]);
    expect((await rowOf(id))!.status).toBe("sent");
    expect(sends).toEqual([id]);
  });

  it("item 9a: the DLQ does mark dead a pending row, and a sending row whose sender went silent past the lease", async () => {
    const pending = await insertOrderEmail("dlq-pending");
    const abandoned = await insertOrderEmail("dlq-abandoned");
    await env.DB.prepare("UPDATE email_outbox SET status = 'sending', updated_at = ? WHERE id = ?").bind(Date.now() - 6 * 60_000, abandoned).run();
    await deliver("email-dlq", [{ id: "d1", body: { outboxId: pending } }, { id: "d2", body: { outboxId: abandoned } }]);
    expect((await rowOf(pending))!.status).toBe("dead");
    expect((await rowOf(abandoned))!.status).toBe("dead");
  });

  it("item 9b: a failed send records when its retry is due; the sweep leaves the row alone until that time has passed by a margin", async () => {
    emailProviderOverride.provider = recordingProvider(1, 1);
    const id = await insertOrderEmail("backoff");
    // The 8th delivery of a message: the queue's backoff is 7.5–15 minutes now.
    const retries: { delaySeconds: number }[] = [];
    const message = { id: "late", attempts: 8, body: { outboxId: id }, ack: () => {}, retry: (o: { delaySeconds: number }) => retries.push(o) };
    const failedAt = Date.now();
    await processEmailMessage(env, message as unknown as Message<unknown>);
    expect(retries).toHaveLength(1);
    const delayMs = retries[0]!.delaySeconds * 1000;
    expect(delayMs).toBeGreaterThanOrEqual(450_000);

    const { enqueued, testEnv } = recordingEnv();
    // Three minutes later the retry is still waiting in the queue: no duplicate.
    await sweepStuckOutbox(testEnv, failedAt + 3 * 60_000);
    await sweepStuckOutbox(testEnv, failedAt + delayMs);
    expect(sweptIds(enqueued)).not.toContain(id);
    // Well past its due time the retry was evidently lost: the sweep sends it again, once.
    const overdue = Date.now() + delayMs + 2 * 60_000 + 1000;
    await sweepStuckOutbox(testEnv, overdue);
    expect(sweptIds(enqueued).filter((x) => x === id)).toHaveLength(1);
    await sweepStuckOutbox(testEnv, overdue + 1000);
    expect(sweptIds(enqueued).filter((x) => x === id)).toHaveLength(1);
  });

  it("item 9b: the sweep's queries search an index in due order (no scan of the outbox, no sort)", async () => {
    for (const sql of Object.values(STUCK_QUERIES)) {
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(0, 200).all<{ detail: string }>();
      const plan = results.map((r) => r.detail).join(" | ");
      expect(plan).toMatch(/(SEARCH|SCAN) email_outbox USING INDEX email_outbox_(first_send|retry_due|status)_idx/);
      expect(plan).not.toMatch(/SCAN email_outbox(?! USING)/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });

  it("item 9c: a 4xx from the email provider is not retried: the row ends dead at once with last_error, logged and counted", async () => {
    let calls = 0;
    emailProviderOverride.provider = {
      name: "refusing",
      async send() {
        calls += 1;
        throw new ProviderError("provider answered 422", false);
      },
    };
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { points, testEnv } = recordingEnv();
    const id = await insertOrderEmail("refused");
    const message = { id: "m", attempts: 1, body: { outboxId: id }, acked: false, retried: false, ack() { this.acked = true; }, retry() { this.retried = true; } };
    await processEmailMessage(testEnv, message as unknown as Message<unknown>);
    expect({ acked: message.acked, retried: message.retried }).toEqual({ acked: true, retried: false });
    expect(await rowOf(id)).toMatchObject({ status: "dead", attempts: 1, last_error: expect.stringContaining("422") });
    expect(errors.mock.calls.map((args) => String(args[0])).join("\n")).toMatch(/"event":"email_dead".*"cause":"provider_refused"/);
    const dead = points.filter((p) => p.blobs?.[1] === "email_dead_lettered");
    expect(dead).toHaveLength(1);
    expect(dead[0]!.blobs!.slice(2, 4)).toEqual(["provider_refused", id]);
    // A redelivered copy finds the row dead and never calls the provider again.
    await deliver("email-critical", [{ id: "again", body: { outboxId: id } }]);
    expect(calls).toBe(1);
  });

  it("item 9c: refusals do not open the provider's circuit for the other emails", async () => {
    let refuse = true;
    emailProviderOverride.provider = {
      name: "picky",
      async send(email) {
        if (refuse) throw new ProviderError("provider answered 400", false);
        return { providerMessageId: email.idempotencyKey };
      },
    };
    vi.spyOn(console, "error").mockImplementation(() => {});
    const refused = await Promise.all(Array.from({ length: 6 }, (_, i) => insertOrderEmail(`picky-${i}`)));
    await deliver("email-critical", refused.map((id, i) => ({ id: `r${i}`, body: { outboxId: id } })));
    refuse = false;
    const good = await insertOrderEmail("picky-good");
    const result = await deliver("email-critical", [{ id: "good", body: { outboxId: good } }]);
    expect(result.explicitAcks).toEqual(["good"]);
    expect((await rowOf(good))!.status).toBe("sent");
  });
});
