/**
 * Invariant: a queue message that exhausts its retries is never lost. An outbox email ends its row
 * dead (emails.test.ts); any other message — a campaign page, an order event — is kept in the
 * dead-letter store, listed for admins, and replayed once onto the queue it failed on.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import worker from "../../src/index";
import * as repo from "../../src/modules/dead-letters/repo";
import { replayDeadLetter } from "../../src/modules/dead-letters/service";
import { consumers } from "../../src/queues";
import { BASE, call, createAdmin, expectErrorEnvelope, registerCustomer } from "../helpers";
import { createOrder, createProduct, createUser, scoreOf } from "../factories/reviews";

async function deliver(queue: string, bodies: { id: string; body: unknown }[]) {
  const batch = createMessageBatch(queue, bodies.map((b) => ({ id: b.id, timestamp: new Date(), attempts: 1, body: b.body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

/** An env whose producers record what a replay sends instead of sending it. */
function recordingQueues() {
  const sent: { queue: string; body: unknown }[] = [];
  const producer = (queue: string) => ({ send: async (body: unknown) => void sent.push({ queue, body }) });
  const testEnv = { ...env, EMAIL_BULK: producer("email-bulk"), ORDER_EVENTS: producer("order-events") } as unknown as Env;
  return { sent, testEnv };
}

const listDeadLetters = (token: string, query = "") => call("GET", `/api/v1/admin/dead-letters${query}`, { token });

let messageCounter = 0;
const messageId = (label: string) => `${label}-${Date.now()}-${++messageCounter}`;

describe("email-dlq: campaign pages (issue 11, item 9d)", () => {
  it("item 9d: a campaign page that reaches email-dlq is kept, listed for admins, and replayed onto email-bulk where it runs", async () => {
    const optedIn = await registerCustomer("dlq-optin");
    expect((await call("PUT", "/api/v1/store/account/marketing", { token: optedIn.token, body: { marketingOptIn: true } })).status).toBe(200);
    const page = { type: "campaign", campaignId: `cmp_dlq_${Date.now()}`, subject: "Spring sale", body: "Boots 20% off", afterUserId: null, requestId: "req-cmp" };
    const id = messageId("cmp");
    const result = await deliver("email-dlq", [{ id, body: page }]);
    expect(result.explicitAcks).toEqual([id]);

    const admin = await createAdmin();
    const listed = await listDeadLetters(admin.token, "?queue=email-bulk&status=open");
    expect(listed.status).toBe(200);
    const letter = listed.json.data.find((d: { body: { campaignId?: string } }) => d.body?.campaignId === page.campaignId);
    expect(letter).toMatchObject({ queue: "email-bulk", body: page, reason: "retries exhausted", replayedAt: null, createdAt: expect.any(String) });

    // The replay sends the page as it was; delivering it runs the campaign page after all.
    const { sent, testEnv } = recordingQueues();
    const replayed = await replayDeadLetter(testEnv, letter.id);
    expect(replayed.replayedAt).toEqual(expect.any(Number));
    expect(sent).toEqual([{ queue: "email-bulk", body: page }]);
    await deliver("email-bulk", [{ id: messageId("replayed"), body: sent[0]!.body }]);
    const rows = await env.DB.prepare("SELECT to_address FROM email_outbox WHERE dedupe_key = ?").bind(`campaign:${page.campaignId}:${optedIn.userId}`).all<{ to_address: string }>();
    expect(rows.results.map((r) => r.to_address)).toEqual([optedIn.email]);

    // Replayed once: listed as replayed, and a second replay answers 409.
    const again = await call("POST", `/api/v1/admin/dead-letters/${letter.id}/replay`, { token: admin.token });
    expect(again.status).toBe(409);
    expectErrorEnvelope(again, "INVALID_STATE");
    const replayedList = await listDeadLetters(admin.token, "?status=replayed");
    expect(replayedList.json.data.map((d: { id: string }) => d.id)).toContain(letter.id);
    expect((await listDeadLetters(admin.token, "?status=open")).json.data.map((d: { id: string }) => d.id)).not.toContain(letter.id);
  });

  it("item 9d: a message of unknown shape in email-dlq is kept too, but has no queue to be replayed on (409)", async () => {
    const id = messageId("odd");
    await deliver("email-dlq", [{ id, body: { something: "else" } }]);
    const row = await env.DB.prepare("SELECT id, queue FROM dead_letters WHERE message_id = ?").bind(id).first<{ id: string; queue: string }>();
    expect(row!.queue).toBe("email-dlq");
    const { sent, testEnv } = recordingQueues();
    await expect(replayDeadLetter(testEnv, row!.id)).rejects.toMatchObject({ code: "INVALID_STATE", status: 409 });
    expect(sent).toEqual([]);
  });

  it("item 9d: a dead letter delivered twice is kept once", async () => {
    const page = { type: "campaign", campaignId: `cmp_twice_${Date.now()}`, subject: "S", body: "B", afterUserId: "usr_x" };
    const id = messageId("twice");
    await deliver("email-dlq", [{ id, body: page }]);
    await deliver("email-dlq", [{ id, body: page }]);
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM dead_letters WHERE message_id = ?").bind(id).all<{ n: number }>();
    expect(results[0]!.n).toBe(1);
  });
});

describe("order-events-dlq (issue 11, item 9e)", () => {
  it("item 9e: wrangler.toml gives order-events a dead-letter queue, and the Worker consumes it", async () => {
    const toml = (await import("../../wrangler.toml?raw")).default as string;
    const consumerBlocks = toml.split("[[queues.consumers]]").slice(1);
    const orderEvents = consumerBlocks.find((b) => /^\s*queue = "order-events"\s*$/m.test(b));
    expect(orderEvents).toMatch(/^dead_letter_queue = "order-events-dlq"$/m);
    expect(consumerBlocks.some((b) => /^\s*queue = "order-events-dlq"\s*$/m.test(b))).toBe(true);
    expect(consumers["order-events-dlq"]).toBeTypeOf("function");
  });

  it("item 9e: an order event that reaches order-events-dlq is kept, listed, and its replay applies the co-purchase once", async () => {
    const [a, b] = await Promise.all([createProduct(), createProduct()]);
    const orderId = await createOrder(await createUser(), [{ productId: a.id, variantId: a.variantId }, { productId: b.id, variantId: b.variantId }], { status: "pending" });
    const event = { type: "order.placed", orderId, requestId: "req-dlq" };
    const id = messageId("oev");
    expect((await deliver("order-events-dlq", [{ id, body: event }])).explicitAcks).toEqual([id]);
    expect(await scoreOf(a.id, b.id)).toBe(0); // the work was not done: that is what must not be lost

    const admin = await createAdmin();
    const listed = await listDeadLetters(admin.token, "?queue=order-events");
    const letter = listed.json.data.find((d: { body: { orderId?: string } }) => d.body?.orderId === orderId);
    expect(letter).toMatchObject({ queue: "order-events", body: event, replayedAt: null });

    const { sent, testEnv } = recordingQueues();
    await replayDeadLetter(testEnv, letter.id);
    expect(sent).toEqual([{ queue: "order-events", body: event }]);
    await deliver("order-events", [{ id: messageId("r1"), body: sent[0]!.body }, { id: messageId("r2"), body: sent[0]!.body }]);
    expect(await scoreOf(a.id, b.id)).toBe(1);
    expect(await scoreOf(b.id, a.id)).toBe(1);
  });

  it("item 9e: the replay route is admin-only, answers 404 for an unknown id, and sends the letter once", async () => {
    const id = messageId("route");
    await deliver("order-events-dlq", [{ id, body: { type: "order.status_changed", orderId: "ord_route", status: "shipped", requestId: null } }]);
    const row = await env.DB.prepare("SELECT id FROM dead_letters WHERE message_id = ?").bind(id).first<{ id: string }>();
    const customer = await registerCustomer();
    expect((await call("POST", `/api/v1/admin/dead-letters/${row!.id}/replay`, { token: customer.token })).status).toBe(403);
    expect((await call("GET", "/api/v1/admin/dead-letters", { token: customer.token })).status).toBe(403);
    expect((await call("POST", `/api/v1/admin/dead-letters/${row!.id}/replay`)).status).toBe(401);
    const admin = await createAdmin();
    const unknown = await call("POST", "/api/v1/admin/dead-letters/dlt_unknown/replay", { token: admin.token });
    expect(unknown.status).toBe(404);
    expectErrorEnvelope(unknown, "NOT_FOUND");
    // Through the app with recorded producers, so nothing reaches the real queue.
    const { sent, testEnv } = recordingQueues();
    const replay = async () => {
      const ctx = createExecutionContext();
      const res = await createApp().fetch(
        new Request(`${BASE}/api/v1/admin/dead-letters/${row!.id}/replay`, { method: "POST", headers: { Authorization: `Bearer ${admin.token}` } }),
        testEnv,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return { status: res.status, json: (await res.json()) as any };
    };
    const replayed = await replay();
    expect(replayed.status).toBe(200);
    expect(replayed.json).toMatchObject({ id: row!.id, queue: "order-events", replayedAt: expect.any(String) });
    expect((await replay()).status).toBe(409);
    expect(sent).toHaveLength(1);
  });

  it("item 9e: the list pages newest first with a cursor, and rejects an unknown queue", async () => {
    const ids = [messageId("p1"), messageId("p2"), messageId("p3")];
    for (const id of ids) await deliver("order-events-dlq", [{ id, body: { type: "order.placed", orderId: `ord_${id}` } }]);
    const admin = await createAdmin();
    const seen: { orderId: string; createdAt: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof call>> = await listDeadLetters(admin.token, `?queue=order-events&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.json.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.data.map((d: { body: { orderId: string }; createdAt: string }) => ({ orderId: d.body.orderId, createdAt: d.createdAt })));
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(new Set(seen.map((s) => s.orderId)).size).toBe(seen.length);
    expect(seen.map((s) => s.orderId)).toEqual(expect.arrayContaining(ids.map((id) => `ord_${id}`)));
    const times = seen.map((s) => s.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    expect((await listDeadLetters(admin.token, "?queue=nope")).status).toBe(422);
  });

  it("item 9e: the list queries walk an index in order (no scan, no sort)", async () => {
    const after = { createdAt: Date.now(), id: "dlt_x" };
    for (const filter of [{}, { queue: "order-events" }, { queue: "email-bulk", status: "open" as const }, { status: "replayed" as const }]) {
      const { sql, params } = repo.listDeadLettersQuery(filter, after, 21);
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
      const details = plan.results.map((r) => r.detail).join(" | ");
      expect(details, JSON.stringify(filter)).toMatch(/USING (COVERING )?INDEX dead_letters_(created|queue)_idx/);
      expect(details, JSON.stringify(filter)).not.toMatch(/TEMP B-TREE/);
    }
  });
});
