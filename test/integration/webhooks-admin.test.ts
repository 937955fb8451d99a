/**
 * Admin management of webhook endpoints: the secret is shown once, URLs pass the SSRF guard (the
 * test environment runs the production policy), versions guard concurrent edits, the delivery log
 * pages and filters, and only admins (or keys with the webhooks scope) get in.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { attemptDelivery } from "../../src/modules/webhooks/delivery";
import { createEndpoint, pendingDelivery } from "../factories/webhooks";
import { call, createAdmin, expectErrorEnvelope, registerCustomer } from "../helpers";
import { routeFetchTo } from "../webhook-receiver";

let admin: { token: string };
beforeAll(async () => {
  admin = await createAdmin();
});
afterEach(() => vi.restoreAllMocks());

const path = "/api/v1/admin/webhooks";

describe("POST /api/v1/admin/webhooks", () => {
  it("creates an enabled endpoint and shows its whsec_ secret only in that answer", async () => {
    const res = await call("POST", path, { token: admin.token, body: { url: "https://erp.example.com/in", events: ["order.placed", "order.refunded"], description: "ERP" } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ url: "https://erp.example.com/in", events: ["order.placed", "order.refunded"], status: "enabled", description: "ERP", version: 1 });
    expect(res.json.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);

    const read = await call("GET", `${path}/${res.json.id}`, { token: admin.token });
    expect(read.status).toBe(200);
    expect(read.json).not.toHaveProperty("secret");
    expect(read.text).not.toContain(res.json.secret.slice(6));
    const list = await call("GET", `${path}?limit=100`, { token: admin.token });
    expect(list.json.data.map((e: { id: string }) => e.id)).toContain(res.json.id);
    expect(list.text).not.toContain(res.json.secret.slice(6));
  });

  it.each([
    "http://erp.example.com/in",
    "https://localhost/in",
    "https://127.0.0.1/in",
    "https://2130706433/in",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::ffff:10.0.0.1]/in",
    "https://metadata.google.internal/",
    "https://10.0.0.8/in",
  ])("answers 422 for %s (SSRF guard) and stores nothing", async (url) => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM webhook_endpoints").first<{ n: number }>();
    const res = await call("POST", path, { token: admin.token, body: { url, events: ["order.placed"] } });
    expect(res.status).toBe(422);
    expectErrorEnvelope(res, "VALIDATION_ERROR");
    expect(res.json.error.details.issues[0].path).toBe("url");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM webhook_endpoints").first<{ n: number }>()).toEqual(before);
  });

  it("answers 422 for unknown or repeated event types and for no events at all", async () => {
    for (const events of [["order.exploded"], ["order.placed", "order.placed"], []]) {
      const res = await call("POST", path, { token: admin.token, body: { url: "https://erp.example.com/in", events } });
      expect(res.status).toBe(422);
    }
  });

  it("is for admins only: 401 without a token, 403 for a customer, and API keys need the webhooks scope", async () => {
    const body = { url: "https://erp.example.com/in", events: ["order.placed"] };
    expect((await call("POST", path, { body })).status).toBe(401);
    expect((await call("POST", path, { token: (await registerCustomer()).token, body })).status).toBe(403);
    const readKey = await call("POST", "/api/v1/admin/api-keys", { token: admin.token, body: { name: "reader", scopes: ["webhooks:read"] } });
    expect((await call("GET", path, { apiKey: readKey.json.key })).status).toBe(200);
    expect((await call("POST", path, { apiKey: readKey.json.key, body })).status).toBe(403);
  });
});

describe("PATCH and DELETE /api/v1/admin/webhooks/{id}", () => {
  it("changes events and url, refuses a stale If-Match with 409, and disables and enables", async () => {
    const { endpoint } = await createEndpoint(admin.token, ["order.placed"]);
    const changed = await call("PATCH", `${path}/${endpoint.id}`, { token: admin.token, headers: { "If-Match": '"1"' }, body: { events: ["product.created"], url: "https://other.example.com/x" } });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ events: ["product.created"], url: "https://other.example.com/x", version: 2 });
    const stale = await call("PATCH", `${path}/${endpoint.id}`, { token: admin.token, headers: { "If-Match": '"1"' }, body: { description: "late" } });
    expect(stale.status).toBe(409);
    expectErrorEnvelope(stale, "VERSION_CONFLICT");
    expect(stale.json.error.details.currentVersion).toBe(2);
    const disabled = await call("PATCH", `${path}/${endpoint.id}`, { token: admin.token, body: { status: "disabled" } });
    expect(disabled.json).toMatchObject({ status: "disabled", disabledReason: "manual" });
    expect((await call("POST", `${path}/${endpoint.id}/test`, { token: admin.token })).status).toBe(409);
    const refused = await call("PATCH", `${path}/${endpoint.id}`, { token: admin.token, body: { url: "https://192.168.0.1/x" } });
    expect(refused.status).toBe(422);
  });

  it("deletes the endpoint with its delivery log", async () => {
    const { endpoint } = await createEndpoint(admin.token, ["order.placed"]);
    const { deliveryId } = await pendingDelivery(endpoint.id);
    expect((await call("DELETE", `${path}/${endpoint.id}`, { token: admin.token })).status).toBe(204);
    expect((await call("GET", `${path}/${endpoint.id}`, { token: admin.token })).status).toBe(404);
    expect((await call("DELETE", `${path}/${endpoint.id}`, { token: admin.token })).status).toBe(404);
    expect(await env.DB.prepare("SELECT id FROM webhook_deliveries WHERE id = ?").bind(deliveryId).first()).toBeNull();
  });
});

describe("POST /api/v1/admin/webhooks/{id}/test", () => {
  it("queues a signed ping to this endpoint only, and its delivery shows up in the log", async () => {
    const { endpoint, receiver } = await createEndpoint(admin.token, ["order.placed"]);
    routeFetchTo(receiver);
    const res = await call("POST", `${path}/${endpoint.id}/test`, { token: admin.token });
    expect(res.status).toBe(202);
    await vi.waitFor(() => expect(receiver.ofType("ping")).toHaveLength(1), { timeout: 10_000, interval: 100 });
    expect(receiver.receipts[0]).toMatchObject({ webhookId: res.json.eventId, verifiedBy: [endpoint.secret] });
    await vi.waitFor(async () => {
      const log = await call("GET", `${path}/${endpoint.id}/deliveries?status=succeeded`, { token: admin.token });
      expect(log.json.data).toEqual([expect.objectContaining({ id: res.json.deliveryId, type: "ping", status: "succeeded", attempts: 1, lastStatusCode: 200 })]);
    });
  });
});

describe("GET /api/v1/admin/webhooks/{id}/deliveries", () => {
  it("pages newest first and filters by status", async () => {
    const { endpoint, receiver } = await createEndpoint(admin.token, ["order.placed"]);
    receiver.answer = (n) => (n % 2 === 0 ? 200 : 500);
    routeFetchTo(receiver);
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await pendingDelivery(endpoint.id));
    for (const d of made) await attemptDelivery(env, d.deliveryId);

    const first = await call("GET", `${path}/${endpoint.id}/deliveries?limit=3`, { token: admin.token });
    expect(first.status).toBe(200);
    expect(first.json.data).toHaveLength(3);
    const second = await call("GET", `${path}/${endpoint.id}/deliveries?limit=3&cursor=${first.json.nextCursor}`, { token: admin.token });
    expect(second.json.nextCursor).toBeNull();
    const ids = [...first.json.data, ...second.json.data].map((d: { id: string }) => d.id);
    expect(ids).toEqual(made.map((d) => d.deliveryId).reverse());

    const failed = await call("GET", `${path}/${endpoint.id}/deliveries?status=failed`, { token: admin.token });
    expect(failed.json.data.map((d: { id: string }) => d.id).sort()).toEqual([made[1]!.deliveryId, made[3]!.deliveryId].sort());
    expect(failed.json.data[0]).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 500, nextAttemptAt: expect.any(String) });

    expect((await call("GET", `${path}/${endpoint.id}/deliveries?status=lost`, { token: admin.token })).status).toBe(422);
    expect((await call("GET", `${path}/${endpoint.id}/deliveries?cursor=%%%`, { token: admin.token })).status).toBe(400);
    expect((await call("GET", `${path}/whe_unknown/deliveries`, { token: admin.token })).status).toBe(404);
  });
});
