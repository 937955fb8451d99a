import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { InventoryDO } from "../../durable-objects/inventory";
import { processInventorySync } from "../../src/queues/inventory-sync";
import { clearInventoryAlarms, createVariant, inventoryStub } from "../factories/commerce";
import { call, createAdmin, expectErrorEnvelope, registerCustomer } from "../helpers";

const later = () => Date.now() + 60_000;

afterEach(() => clearInventoryAlarms());

describe("InventoryDO", () => {
  it("loads its stock from D1 on first use", async () => {
    const v = await createVariant(7);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 7, reserved: 0, available: 7 });
  });

  it("stock 1: of two simultaneous reservations exactly one wins", async () => {
    const v = await createVariant(1);
    const stub = inventoryStub(v.id);
    const results = await Promise.all([stub.reserve(v.id, "chk_a", 1, later()), stub.reserve(v.id, "chk_b", 1, later())]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toHaveLength(1);
    await runDurableObjectAlarm(stub);
  });

  it("is idempotent per checkout id for reserve, commit and release", async () => {
    const v = await createVariant(5);
    const stub = inventoryStub(v.id);
    await stub.reserve(v.id, "chk_1", 2, later());
    await stub.reserve(v.id, "chk_1", 2, later());
    expect(await stub.snapshot(v.id)).toMatchObject({ reserved: 2, available: 3 });
    await stub.commit(v.id, "chk_1", 2);
    await stub.commit(v.id, "chk_1", 2);
    await stub.release(v.id, "chk_1");
    expect(await stub.snapshot(v.id)).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
    await stub.restock(v.id, "chk_1");
    await stub.restock(v.id, "chk_1");
    expect(await stub.snapshot(v.id)).toMatchObject({ onHand: 5, reserved: 0 });
  });

  it("gives reserved stock back when the reservation expires through the alarm", async () => {
    const v = await createVariant(3);
    const stub = inventoryStub(v.id);
    await stub.reserve(v.id, "chk_exp", 3, later());
    expect((await stub.snapshot(v.id)).available).toBe(0);
    // Time travel: the hold becomes due without sleeping.
    await runInDurableObject(stub, (_o: InventoryDO, state) => {
      state.storage.sql.exec("UPDATE holds SET expires_at = ?", Date.now() - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.snapshot(v.id)).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
    const alarm = await runInDurableObject(stub, (_o: InventoryDO, state) => state.storage.getAlarm());
    expect(alarm).toBeNull();
  });

  it("refuses to set on-hand below what is reserved", async () => {
    const v = await createVariant(5);
    const stub = inventoryStub(v.id);
    await stub.reserve(v.id, "chk_r", 4, later());
    const result = await stub.set(v.id, "op_1", 3);
    expect(result).toMatchObject({ ok: false, code: "BELOW_RESERVED" });
    await stub.release(v.id, "chk_r");
    await runDurableObjectAlarm(stub);
  });
});

describe("inventory-sync consumer", () => {
  it("keeps only newer versions, so duplicates and reordering are harmless", async () => {
    const v = await createVariant(10);
    await processInventorySync(env, { variantId: v.id, onHand: 8, reserved: 1, version: 3 });
    await processInventorySync(env, { variantId: v.id, onHand: 9, reserved: 0, version: 2 });
    await processInventorySync(env, { variantId: v.id, onHand: 8, reserved: 1, version: 3 });
    const row = await env.DB.prepare("SELECT on_hand, reserved, version FROM inventory_levels WHERE variant_id = ?").bind(v.id).first();
    expect(row).toEqual({ on_hand: 8, reserved: 1, version: 3 });
  });
});

describe("GET /api/v1/admin/inventory/:variantId", () => {
  it("answers the level to an admin and 403 to a customer", async () => {
    const v = await createVariant(4);
    const admin = await createAdmin();
    const res = await call("GET", `/api/v1/admin/inventory/${v.id}`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ variantId: v.id, onHand: 4, reserved: 0, available: 4 });
    const customer = await registerCustomer();
    expect((await call("GET", `/api/v1/admin/inventory/${v.id}`, { token: customer.token })).status).toBe(403);
  });

  it("answers 404 for an unknown variant", async () => {
    const admin = await createAdmin();
    const res = await call("GET", "/api/v1/admin/inventory/var_nope", { token: admin.token });
    expect(res.status).toBe(404);
    expectErrorEnvelope(res, "NOT_FOUND");
  });
});

describe("POST /api/v1/admin/inventory/:variantId/adjust", () => {
  it("adds stock and keeps the adjustment with its reason", async () => {
    const v = await createVariant(4);
    const admin = await createAdmin();
    const res = await call("POST", `/api/v1/admin/inventory/${v.id}/adjust`, { token: admin.token, body: { delta: 6, reason: "restock from supplier" } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ onHand: 10, available: 10 });
    const history = await env.DB.prepare("SELECT delta, on_hand_after, reason FROM inventory_adjustments WHERE variant_id = ?").bind(v.id).all();
    expect(history.results).toEqual([{ delta: 6, on_hand_after: 10, reason: "restock from supplier" }]);
  });

  it("answers 409 when removing stock would go below what is reserved", async () => {
    const v = await createVariant(4);
    const stub = inventoryStub(v.id);
    await stub.reserve(v.id, "chk_held", 3, later());
    const admin = await createAdmin();
    const res = await call("POST", `/api/v1/admin/inventory/${v.id}/adjust`, { token: admin.token, body: { delta: -2, reason: "damaged" } });
    expect(res.status).toBe(409);
    expect((await stub.snapshot(v.id)).onHand).toBe(4);
    await stub.release(v.id, "chk_held");
    await runDurableObjectAlarm(stub);
  });

  it("answers 422 without a reason", async () => {
    const v = await createVariant(4);
    const admin = await createAdmin();
    const res = await call("POST", `/api/v1/admin/inventory/${v.id}/adjust`, { token: admin.token, body: { delta: 1 } });
    expect(res.status).toBe(422);
  });
});

describe("PUT /api/v1/admin/inventory/:variantId", () => {
  it("sets on-hand stock", async () => {
    const v = await createVariant(4);
    const admin = await createAdmin();
    const res = await call("PUT", `/api/v1/admin/inventory/${v.id}`, { token: admin.token, body: { onHand: 25 } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ variantId: v.id, onHand: 25, reserved: 0, available: 25 });
  });
});

describe("inventory read model", () => {
  it("follows the object's changes through the inventory-sync queue", async () => {
    const v = await createVariant(6);
    const stub = inventoryStub(v.id);
    await stub.reserve(v.id, "chk_sync", 2, later());
    let row: { on_hand: number; reserved: number; version: number } | null = null;
    for (let i = 0; i < 50 && row?.reserved !== 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      row = await env.DB.prepare("SELECT on_hand, reserved, version FROM inventory_levels WHERE variant_id = ?").bind(v.id).first();
    }
    expect(row).toMatchObject({ on_hand: 6, reserved: 2 });
    expect(row!.version).toBeGreaterThan(0);
    await stub.release(v.id, "chk_sync");
    await runDurableObjectAlarm(stub);
  });
});

describe("InventoryDO alarm housekeeping", () => {
  it("forgets released holds a day after their expiry, and a late commit then sells only free stock", async () => {
    const v = await createVariant(1);
    const stub = inventoryStub(v.id);
    await stub.reserve(v.id, "chk_old", 1, later());
    await stub.release(v.id, "chk_old");
    await stub.reserve(v.id, "chk_due", 1, later());
    await runInDurableObject(stub, (_o: InventoryDO, state) => {
      state.storage.sql.exec("UPDATE holds SET expires_at = ? WHERE checkout_id = 'chk_old'", Date.now() - 2 * 86_400_000);
      state.storage.sql.exec("UPDATE holds SET expires_at = ? WHERE checkout_id = 'chk_due'", Date.now() - 1);
    });
    await runDurableObjectAlarm(stub);
    const count = await runInDurableObject(stub, (_o: InventoryDO, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM holds").one().n);
    expect(count).toBe(1);
    expect(await stub.commit(v.id, "chk_old", 1)).toMatchObject({ ok: true, level: { onHand: 0 } });
    expect(await stub.commit(v.id, "chk_due", 1)).toMatchObject({ ok: false, code: "INSUFFICIENT_INVENTORY" });
  });
});
