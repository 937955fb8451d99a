import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { reconcileInventory, recentlyChangedVariants } from "../../src/modules/inventory/reconcile";
import { VARIANTS_CHANGED_SINCE_SQL } from "../../src/modules/inventory/repo";
import { addToCart, clearInventoryAlarms, createVariant, inventoryStub, placeOrder, startCheckout } from "../factories/commerce";
import { call, createAdmin, registerCustomer } from "../helpers";

afterEach(() => clearInventoryAlarms());

const readModel = (variantId: string) =>
  env.DB.prepare("SELECT on_hand AS onHand, reserved FROM inventory_levels WHERE variant_id = ?").bind(variantId).first<{ onHand: number; reserved: number }>();

describe("cron: reconcile_inventory", () => {
  it("repairs a read model that missed a sync message, from the Durable Object's level", async () => {
    const variant = await createVariant(10);
    const customer = await registerCustomer();
    await addToCart(customer.token, variant.id, 3);
    expect((await startCheckout(customer.token)).status).toBe(201);
    // A lost inventory-sync message: the read model still says 10 on hand and nothing reserved.
    await env.DB.prepare("UPDATE inventory_levels SET on_hand = 10, reserved = 0, version = 0 WHERE variant_id = ?").bind(variant.id).run();

    const result = await reconcileInventory(env);
    expect(result.repaired).toBeGreaterThanOrEqual(1);
    const truth = await inventoryStub(variant.id).snapshot(variant.id);
    expect(await readModel(variant.id)).toEqual({ onHand: truth.onHand, reserved: truth.reserved });
    expect(truth.reserved).toBe(3);
  });

  it("changes nothing when the read model agrees, however often it runs", async () => {
    const variant = await createVariant(5);
    const customer = await registerCustomer();
    await addToCart(customer.token, variant.id, 1);
    await startCheckout(customer.token);
    await reconcileInventory(env);
    const before = await readModel(variant.id);
    const again = await reconcileInventory(env);
    expect(again.repaired).toBe(0);
    expect(await readModel(variant.id)).toEqual(before);
  });

  it("leaves variants nobody touched recently alone", async () => {
    const quiet = await createVariant(7);
    await env.DB.prepare("UPDATE inventory_levels SET on_hand = 99 WHERE variant_id = ?").bind(quiet.id).run();
    await reconcileInventory(env);
    expect((await readModel(quiet.id))!.onHand).toBe(99);
  });
});

describe("cron: reconcile_inventory after cancellations and refunds (issue 11, item 9f)", () => {
  /** An order placed hours ago, so its checkout is outside the sweep's window. */
  async function oldOrder(stock: number, quantity: number) {
    const variant = await createVariant(stock);
    const placed = await placeOrder(variant.id, quantity);
    await env.DB.prepare("UPDATE checkouts SET created_at = created_at - ? WHERE id = ?").bind(3 * 3600_000, placed.checkoutId).run();
    return { variant, ...placed };
  }

  /** The restock's inventory-sync message was lost: the read model still shows the sale. */
  const loseSync = (variantId: string, onHand: number) =>
    env.DB.prepare("UPDATE inventory_levels SET on_hand = ?, reserved = 0, version = 0 WHERE variant_id = ?").bind(onHand, variantId).run();

  it("item 9f: repairs a variant restocked by a cancellation long after its checkout", async () => {
    const { variant, customer, orderId } = await oldOrder(5, 2);
    expect((await call("POST", `/api/v1/store/orders/${orderId}/cancel`, { token: customer.token })).status).toBe(200);
    expect(await inventoryStub(variant.id).snapshot(variant.id)).toMatchObject({ onHand: 5, reserved: 0 });
    await loseSync(variant.id, 3);

    expect(await recentlyChangedVariants(env, Date.now())).toContain(variant.id);
    await reconcileInventory(env);
    expect(await readModel(variant.id)).toEqual({ onHand: 5, reserved: 0 });
  });

  it("item 9f: repairs a variant restocked by an admin refund", async () => {
    const { variant, orderId } = await oldOrder(4, 1);
    const admin = await createAdmin();
    expect((await call("POST", `/api/v1/admin/orders/${orderId}/refund`, { token: admin.token, body: { restock: true } })).status).toBe(200);
    expect((await inventoryStub(variant.id).snapshot(variant.id)).onHand).toBe(4);
    await loseSync(variant.id, 3);
    await reconcileInventory(env);
    expect(await readModel(variant.id)).toEqual({ onHand: 4, reserved: 0 });
  });

  it("item 9f: the changed-variants query walks indexes by time (no scan of checkouts, orders or adjustments)", async () => {
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${VARIANTS_CHANGED_SINCE_SQL}`).bind(Date.now(), 200).all<{ detail: string }>();
    const details = plan.results.map((r) => r.detail);
    for (const table of ["checkouts", "orders", "inventory_adjustments"]) {
      expect(details.filter((d) => new RegExp(`^SCAN ${table}\\b`).test(d)), details.join(" | ")).toEqual([]);
    }
    expect(details.join(" | ")).toMatch(/orders USING INDEX orders_ended_idx/);
  });
});
