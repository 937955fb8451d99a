import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { reconcileInventory } from "../../src/modules/inventory/reconcile";
import { addToCart, clearInventoryAlarms, createVariant, inventoryStub, startCheckout } from "../factories/commerce";
import { registerCustomer } from "../helpers";

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
