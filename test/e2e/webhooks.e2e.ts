/**
 * Outbound webhooks against the real dev server: a receiver on this machine (http://127.0.0.1 is
 * allowed in local development only) gets order.placed once per event id, signed per Standard
 * Webhooks — verified with the reference library — and, after a rotation, signed with both secrets.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, eventually, login, newCustomer, SEED_ADMIN } from "./client";
import { buy, firstInStockVariant } from "./shop";

type Receipt = { headers: Record<string, string>; body: string; payload: { id: string; type: string; data: Record<string, unknown> } };

let server: Server;
let receipts: Receipt[] = [];
let receiverUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      receipts.push({ headers: req.headers as Record<string, string>, body, payload: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const verifies = (secret: string, r: Receipt) => {
  try {
    new Webhook(secret).verify(r.body, r.headers);
    return true;
  } catch {
    return false;
  }
};

describe("outbound webhooks (black box)", () => {
  it("delivers order.placed to a subscribed endpoint once per event id, signed with its secret", async () => {
    receipts = [];
    const admin = api({ token: (await login(SEED_ADMIN)).accessToken });
    const created = await admin.POST("/api/v1/admin/webhooks", { body: { url: receiverUrl, events: ["order.placed"] } });
    expect(created.response.status).toBe(201);
    const { id, secret } = created.data!;

    const shopper = await newCustomer("hooked");
    const { payment } = await buy(shopper.token, (await firstInStockVariant(2)).id);
    const orderId = payment!.data!.orderId!;
    const placed = () => receipts.filter((r) => r.payload.type === "order.placed" && r.payload.data.orderId === orderId);
    expect(await eventually(async () => placed().length > 0, 20_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 2_000)); // a duplicate would arrive by now

    expect(placed()).toHaveLength(1);
    const [receipt] = placed();
    expect(verifies(secret, receipt!)).toBe(true);
    expect(receipt!.headers["webhook-id"]).toBe(receipt!.payload.id);
    const log = await admin.GET("/api/v1/admin/webhooks/{id}/deliveries", { params: { path: { id } } });
    expect(log.data!.data).toEqual([expect.objectContaining({ eventId: receipt!.payload.id, type: "order.placed", status: "succeeded", attempts: 1 })]);
    await admin.DELETE("/api/v1/admin/webhooks/{id}", { params: { path: { id } } });
  });

  it("signs with the old and the new secret during a rotation's grace period", async () => {
    receipts = [];
    const admin = api({ token: (await login(SEED_ADMIN)).accessToken });
    const created = await admin.POST("/api/v1/admin/webhooks", { body: { url: receiverUrl, events: ["product.created"] } });
    const { id, secret: oldSecret } = created.data!;
    const rotated = await admin.POST("/api/v1/admin/webhooks/{id}/rotate-secret", { params: { path: { id } }, body: { gracePeriodSeconds: 600 } });
    expect(rotated.response.status).toBe(200);
    const ping = await admin.POST("/api/v1/admin/webhooks/{id}/test", { params: { path: { id } } });
    expect(ping.response.status).toBe(202);
    expect(await eventually(async () => receipts.some((r) => r.payload.id === ping.data!.eventId), 15_000)).toBe(true);
    const receipt = receipts.find((r) => r.payload.id === ping.data!.eventId)!;
    expect(receipt.payload.type).toBe("ping");
    expect(verifies(oldSecret, receipt)).toBe(true);
    expect(verifies(rotated.data!.secret, receipt)).toBe(true);
    await admin.DELETE("/api/v1/admin/webhooks/{id}", { params: { path: { id } } });
  });

  it("refuses a private-network URL even in local development", async () => {
    const admin = api({ token: (await login(SEED_ADMIN)).accessToken });
    const refused = await admin.POST("/api/v1/admin/webhooks", { body: { url: "http://169.254.169.254/latest/meta-data/", events: ["order.placed"] } });
    expect(refused.response.status).toBe(422);
  });
});
