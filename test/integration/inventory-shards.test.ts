/**
 * A hot variant split over shard objects (issue 12): a flash sale past one object's throughput
 * never oversells and never refuses while a unit is left anywhere; release, close, restock and
 * admin changes see the whole variant; the read model and reconciliation add the shards up.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { reconcileInventory } from "../../src/modules/inventory/reconcile";
import { closeLines, commitLines, reserveLines, restockLines, setShards, shardFor } from "../../src/modules/inventory/service";
import { processInventorySync } from "../../src/queues/inventory-sync";
import { addToCart, clearInventoryAlarms, createVariant, inventoryStub, pay, startCheckout } from "../factories/commerce";
import { call, createAdmin, registerCustomer } from "../helpers";

const later = () => Date.now() + 3600_000;
const shardStub = (variantId: string, k: number) => env.INVENTORY.get(env.INVENTORY.idFromName(k === 0 ? variantId : `${variantId}#${k}`));
const localLevels = (variantId: string, count: number) =>
  Promise.all(Array.from({ length: count }, (_, k) => shardStub(variantId, k).localSnapshot(k === 0 ? variantId : `${variantId}#${k}`)));

afterEach(async () => {
  await clearInventoryAlarms();
});

/** A checkout id that lands on shard `k` of `count`. */
function checkoutOn(k: number, count: number, label: string) {
  for (let i = 0; ; i++) if (shardFor(`chk_${label}_${i}`, count) === k) return `chk_${label}_${i}`;
}

describe("a variant split over shards", () => {
  it("1,000 shoppers for 100 units over 4 shards: exactly 100 sold, none oversold, none refused while stock remained", async () => {
    const v = await createVariant(100);
    const split = await setShards(env, v.id, 4);
    expect(split).toMatchObject({ onHand: 100, reserved: 0, shards: 4 });
    const slices = await localLevels(v.id, 4);
    expect(slices.every((l) => l.onHand > 0)).toBe(true);
    expect(slices.reduce((s, l) => s + l.onHand, 0)).toBe(100);

    const buyers = Array.from({ length: 1000 }, (_, i) => `chk_sale_${i}`);
    const outcomes = await Promise.all(
      buyers.map(async (id) => {
        const short = await reserveLines(env, id, [{ variantId: v.id, quantity: 1, shards: 4 }], later());
        if (short.length > 0) return "refused";
        const failed = await commitLines(env, id, [{ variantId: v.id, quantity: 1, shards: 4 }]);
        return failed.length === 0 ? "sold" : "lost";
      }),
    );
    expect(outcomes.filter((o) => o === "sold")).toHaveLength(100);
    expect(outcomes.filter((o) => o === "lost")).toHaveLength(0);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 0, reserved: 0, available: 0 });
    // Spread: every shard served some of the sale.
    const served = await Promise.all(
      [0, 1, 2, 3].map((k) => runInDurableObject(shardStub(v.id, k), (_o, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM holds WHERE status = 'committed'").one().n as number)),
    );
    expect(served.reduce((a, b) => a + b, 0)).toBe(100);
    expect(served.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
  });

  it("sells the last unit even when it sits on another shard", async () => {
    const v = await createVariant(4);
    await setShards(env, v.id, 4);
    // Three units go to three buyers hashed to shards 1, 2 and 3's neighbours; one is left on one shard only.
    const slices = await localLevels(v.id, 4);
    const holder = slices.findIndex((l, k) => k > 0 && l.onHand > 0);
    // Empty every other object through sales on them.
    let n = 0;
    for (const [k, level] of slices.entries()) {
      if (k === holder) continue;
      for (let u = 0; u < level.onHand; u++) {
        const id = checkoutOn(k, 4, `drain${n++}`);
        expect(await reserveLines(env, id, [{ variantId: v.id, quantity: 1, shards: 4 }], later())).toEqual([]);
      }
    }
    const left = (await localLevels(v.id, 4)).map((l) => l.available);
    expect(left.filter((a) => a > 0)).toHaveLength(1);
    const elsewhere = checkoutOn((holder + 1) % 4, 4, "last");
    expect(await reserveLines(env, elsewhere, [{ variantId: v.id, quantity: slices[holder]!.onHand, shards: 4 }], later())).toEqual([]);
    expect(await commitLines(env, elsewhere, [{ variantId: v.id, quantity: slices[holder]!.onHand, shards: 4 }])).toEqual([]);
    // And then there is none: the next shopper is refused.
    expect(await reserveLines(env, "chk_too_late", [{ variantId: v.id, quantity: 1, shards: 4 }], later())).toEqual([
      { variantId: v.id, requested: 1, available: 0 },
    ]);
  });

  it("close and restock reach the shard that holds or sold the units, through the coordinator", async () => {
    const v = await createVariant(20);
    await setShards(env, v.id, 4);
    const held = checkoutOn(2, 4, "held");
    const sold = checkoutOn(3, 4, "sold");
    await reserveLines(env, held, [{ variantId: v.id, quantity: 2, shards: 4 }], later());
    await reserveLines(env, sold, [{ variantId: v.id, quantity: 3, shards: 4 }], later());
    await commitLines(env, sold, [{ variantId: v.id, quantity: 3, shards: 4 }]);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 17, reserved: 2 });
    await closeLines(env, held, [v.id]);
    await restockLines(env, sold, [v.id]);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 20, reserved: 0 });
    // The closed checkout can never buy here again, on any shard.
    expect(await commitLines(env, held, [{ variantId: v.id, quantity: 2, shards: 4 }])).toEqual([v.id]);
  });

  it("admin set and adjust count the whole variant, and never go below what the shards have reserved", async () => {
    const v = await createVariant(40);
    const admin = await createAdmin();
    await setShards(env, v.id, 4);
    await reserveLines(env, checkoutOn(1, 4, "r1"), [{ variantId: v.id, quantity: 5, shards: 4 }], later());
    await reserveLines(env, checkoutOn(3, 4, "r3"), [{ variantId: v.id, quantity: 5, shards: 4 }], later());
    const set = await call("PUT", `/api/v1/admin/inventory/${v.id}`, { token: admin.token, body: { onHand: 25 } });
    expect(set.json).toMatchObject({ onHand: 25, reserved: 10, available: 15 });
    const below = await call("PUT", `/api/v1/admin/inventory/${v.id}`, { token: admin.token, body: { onHand: 9 } });
    expect(below.status).toBe(409);
    const adjust = await call("POST", `/api/v1/admin/inventory/${v.id}/adjust`, { token: admin.token, body: { delta: -15, reason: "damaged" } });
    expect(adjust.json).toMatchObject({ onHand: 10, reserved: 10, available: 0 });
    expect(await call("GET", `/api/v1/admin/inventory/${v.id}`, { token: admin.token })).toMatchObject({ json: { onHand: 10, reserved: 10 } });
    const history = await env.DB.prepare("SELECT delta FROM inventory_adjustments WHERE variant_id = ? ORDER BY created_at").bind(v.id).all<{ delta: number }>();
    expect(history.results.map((r) => r.delta)).toEqual([-15, -15]);
  });

  it("a checkout over HTTP reserves on its shard and the order takes exactly its units", async () => {
    const v = await createVariant(30);
    await setShards(env, v.id, 3);
    const shopper = await registerCustomer();
    await addToCart(shopper.token, v.id, 4);
    const checkout = await startCheckout(shopper.token);
    expect(checkout.status).toBe(201);
    const paid = await pay(shopper.token, checkout.json.id);
    expect(paid.json.state).toBe("COMPLETED");
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 26, reserved: 0 });
  });

  it("the read model and reconciliation add the shards up", async () => {
    const v = await createVariant(12);
    await setShards(env, v.id, 3);
    await reserveLines(env, checkoutOn(1, 3, "rm"), [{ variantId: v.id, quantity: 2, shards: 3 }], later());
    // Each object's flush is a message with its own level; the consumer sums them.
    for (let k = 0; k < 3; k++) {
      const level = await shardStub(v.id, k).localSnapshot(k === 0 ? v.id : `${v.id}#${k}`);
      await processInventorySync(env, { variantId: v.id, shard: k, onHand: level.onHand, reserved: level.reserved, version: level.version });
    }
    const row = await env.DB.prepare("SELECT on_hand, reserved FROM inventory_levels WHERE variant_id = ?").bind(v.id).first();
    expect(row).toEqual({ on_hand: 12, reserved: 2 });
    // A drifted read model is repaired to the whole variant's level.
    await env.DB.prepare("UPDATE inventory_levels SET on_hand = 99, version = 0 WHERE variant_id = ?").bind(v.id).run();
    await env.DB.prepare("INSERT INTO inventory_adjustments (id, variant_id, delta, on_hand_after, reason, actor, created_at) VALUES (?, ?, 0, 0, 'probe', NULL, ?)").bind(`adj_probe_${v.id}`, v.id, Date.now()).run();
    await reconcileInventory(env);
    expect(await env.DB.prepare("SELECT on_hand, reserved FROM inventory_levels WHERE variant_id = ?").bind(v.id).first()).toEqual({ on_hand: 12, reserved: 2 });
  });

  it("a transfer interrupted between the objects is finished by the coordinator's alarm, once", async () => {
    const v = await createVariant(10);
    await setShards(env, v.id, 2);
    const coordinator = inventoryStub(v.id);
    // A surrender the shard applied but the coordinator never heard back about.
    await runInDurableObject(coordinator, (_o, state) => {
      state.storage.sql.exec("INSERT INTO transfers (id, shard, kind, units, status, created_at) VALUES ('surrender_test', 1, 'surrender', NULL, 'pending', ?)", Date.now());
    });
    const shardUnits = (await shardStub(v.id, 1).localSnapshot(`${v.id}#1`)).onHand;
    expect(await shardStub(v.id, 1).surrender(`${v.id}#1`, "surrender_test")).toBe(shardUnits);
    expect(await runDurableObjectAlarm(coordinator)).toBe(true);
    expect(await coordinator.snapshot(v.id)).toMatchObject({ onHand: 10 });
    await runDurableObjectAlarm(coordinator);
    expect(await coordinator.snapshot(v.id)).toMatchObject({ onHand: 10 });
  });
});
