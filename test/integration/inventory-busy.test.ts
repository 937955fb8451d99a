/**
 * An overloaded InventoryDO (a flash sale on one SKU) is "try again", never a 5xx, and a
 * checkout that meets it keeps nothing it had already reserved.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { AppError } from "../../src/lib/errors";
import { reserveLines, withStock } from "../../src/modules/inventory/service";
import { clearInventoryAlarms, createVariant, inventoryStub } from "../factories/commerce";

afterEach(() => clearInventoryAlarms());

const overloaded = Object.assign(new Error("Durable Object is overloaded. Too many requests queued."), { overloaded: true, retryable: true });

/** An env whose INVENTORY answers normally, except for one variant whose object is overloaded. */
function envWithBusyVariant(busyVariantId: string): Env {
  const real = env.INVENTORY;
  const busy = { reserve: async () => Promise.reject(overloaded), snapshot: async () => Promise.reject(overloaded) };
  return {
    ...env,
    INVENTORY: {
      idFromName: (name: string) => Object.assign(real.idFromName(name), { busyName: name }),
      get: (id: DurableObjectId & { busyName?: string }) => (id.busyName === busyVariantId ? busy : real.get(id)),
    },
  } as unknown as Env;
}

describe("an overloaded inventory object", () => {
  it("answers 429 RATE_LIMITED with inventory_busy instead of an internal error", async () => {
    const variant = await createVariant(5);
    const error = await withStock(envWithBusyVariant(variant.id), variant.id, (s) => s.snapshot(variant.id)).catch((e) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 429, code: "RATE_LIMITED", details: { reason: "inventory_busy" } });
  });

  it("releases what the checkout had reserved before meeting it", async () => {
    const [calm, busy] = [await createVariant(5), await createVariant(5)].sort((a, b) => a.id.localeCompare(b.id));
    const failure = await reserveLines(envWithBusyVariant(busy!.id), "chk_busy", [
      { variantId: calm!.id, quantity: 2 },
      { variantId: busy!.id, quantity: 1 },
    ], Date.now() + 60_000).catch((e) => e);
    expect(failure).toMatchObject({ status: 429 });
    expect((await inventoryStub(calm!.id).snapshot(calm!.id)).reserved).toBe(0);
  });
});
