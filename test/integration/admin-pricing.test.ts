import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { addToCart, clearInventoryAlarms, createVariant } from "../factories/commerce";
import { enterCode } from "../factories/pricing";
import { call, createAdmin, expectErrorEnvelope, registerCustomer } from "../helpers";

afterEach(() => clearInventoryAlarms());

const ADMIN = "/api/v1/admin";
let token: string;
beforeAll(async () => {
  token = (await createAdmin()).token;
});

let n = 0;
const uniq = (label: string) => `${label}-${Date.now()}-${++n}`;
const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => call(method, `${ADMIN}${path}`, { token, body, headers });
const cartPrice = async (customerToken: string) => (await call("GET", "/api/v1/store/cart", { token: customerToken })).json.items[0].unitPrice.amount;

describe("/api/v1/admin/customer-groups", () => {
  it("creates, lists with a cursor, reads, renames and refuses a duplicate name", async () => {
    const names = [uniq("g"), uniq("g"), uniq("g")];
    for (const name of names) expect((await admin("POST", "/customer-groups", { name })).status).toBe(201);
    expect((await admin("POST", "/customer-groups", { name: names[0] })).status).toBe(409);
    const first = await admin("GET", "/customer-groups?limit=2");
    expect(first.json.data).toHaveLength(2);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const second = await admin("GET", `/customer-groups?limit=2&cursor=${first.json.nextCursor}`);
    const seen = [...first.json.data, ...second.json.data].map((g: { id: string }) => g.id);
    expect(new Set(seen).size).toBe(seen.length);
    const id = first.json.data[0].id;
    const renamed = await admin("PATCH", `/customer-groups/${id}`, { name: uniq("renamed") });
    expect(renamed.status).toBe(200);
    expect((await admin("GET", `/customer-groups/${id}`)).json.name).toBe(renamed.json.name);
    expect((await admin("GET", "/customer-groups?cursor=not-a-cursor")).status).toBe(400);
  });

  it("puts a customer in a group (their price list applies) and takes them out; a group in use cannot be deleted", async () => {
    const customer = await registerCustomer();
    const v = await createVariant(10, 1000);
    const group = (await admin("POST", "/customer-groups", { name: uniq("vip") })).json;
    const list = await admin("POST", "/price-lists", { name: uniq("vip prices"), groupIds: [group.id], prices: [{ variantId: v.id, amount: 700 }] });
    expect(list.status).toBe(201);
    await addToCart(customer.token, v.id, 1);
    expect(await cartPrice(customer.token)).toBe(1000);
    const joined = await admin("PUT", `/customer-groups/${group.id}/members/${customer.userId}`);
    expect(joined.json.memberCount).toBe(1);
    expect(await cartPrice(customer.token)).toBe(700);
    expect((await admin("DELETE", `/customer-groups/${group.id}`)).status).toBe(409);
    expect((await admin("DELETE", `/customer-groups/${group.id}/members/${customer.userId}`)).status).toBe(204);
    expect(await cartPrice(customer.token)).toBe(1000);
    expect((await admin("DELETE", `/customer-groups/${group.id}/members/${customer.userId}`)).status).toBe(404);
    expect((await admin("PUT", `/customer-groups/${group.id}/members/usr_nobody`)).status).toBe(404);
    expect((await admin("PUT", `/customer-groups/cgrp_nothing/members/${customer.userId}`)).status).toBe(404);
  });
});

describe("/api/v1/admin/price-lists", () => {
  it("creates with version 1, updates under If-Match (428 without, 409 VERSION_CONFLICT when stale), soft-deletes", async () => {
    const customer = await registerCustomer();
    const v = await createVariant(10, 1000);
    await addToCart(customer.token, v.id, 1);
    const created = await admin("POST", "/price-lists", { name: uniq("sale"), prices: [{ variantId: v.id, amount: 900 }] });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ version: 1, groupIds: [], prices: [{ variantId: v.id, amount: 900 }], status: "active" });
    expect(created.headers.get("ETag")).toBe('"1"');
    expect(await cartPrice(customer.token)).toBe(900);
    const path = `/price-lists/${created.json.id}`;
    expect((await admin("PATCH", path, { priority: 5 })).status).toBe(428);
    const updated = await admin("PATCH", path, { prices: [{ variantId: v.id, amount: 850 }] }, { "If-Match": '"1"' });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ version: 2, prices: [{ variantId: v.id, amount: 850 }] });
    const stale = await admin("PATCH", path, { prices: [{ variantId: v.id, amount: 1 }] }, { "If-Match": '"1"' });
    expect(stale.status).toBe(409);
    expectErrorEnvelope(stale, "VERSION_CONFLICT");
    expect(stale.json.error.details.currentVersion).toBe(2);
    expect(await cartPrice(customer.token)).toBe(850);
    expect((await admin("DELETE", path)).status).toBe(204);
    expect(await cartPrice(customer.token)).toBe(1000);
    expect((await admin("GET", path)).status).toBe(404);
  });

  it("answers 422 for an unknown variant or group, or a window that ends before it starts", async () => {
    expect((await admin("POST", "/price-lists", { name: uniq("x"), prices: [{ variantId: "var_nowhere", amount: 1 }] })).status).toBe(422);
    expect((await admin("POST", "/price-lists", { name: uniq("x"), groupIds: ["cgrp_nowhere"] })).status).toBe(422);
    const window = { name: uniq("x"), startsAt: "2030-01-02T00:00:00Z", endsAt: "2030-01-01T00:00:00Z" };
    expect((await admin("POST", "/price-lists", window)).status).toBe(422);
  });
});

describe("/api/v1/admin/discounts", () => {
  it("accepts the seed's three discount shapes and stores codes upper-case; a taken code is 409", async () => {
    const code = uniq("welcome").toLowerCase();
    const welcome = await admin("POST", "/discounts", { code, title: "10% off", kind: "cart_percentage", value: 1000, stackable: false, perCustomerLimit: 1 });
    expect(welcome.status).toBe(201);
    expect(welcome.json).toMatchObject({ code: code.toUpperCase(), version: 1, usageCount: 0 });
    const five = await admin("POST", "/discounts", { code: uniq("FIVE"), title: "$5 off", kind: "cart_fixed", value: 500, rules: { minSubtotal: 2500 }, usageLimit: 1000 });
    expect(five.status).toBe(201);
    const tiered = { title: "Spend $200, save 5%", kind: "tiered", isAutomatic: true, rules: { tiers: [{ threshold: 20000, thresholdType: "spend", valueBps: 500 }] } };
    expect((await admin("POST", "/discounts", tiered)).status).toBe(201);
    const taken = await admin("POST", "/discounts", { code: code.toUpperCase(), title: "again", kind: "cart_fixed", value: 100 });
    expect(taken.status).toBe(409);
  });

  it("answers 422 for a definition the engine refuses, or a coded discount without a code", async () => {
    const bad = [
      { code: uniq("P"), title: "too much", kind: "percentage", value: 20000 },
      { code: uniq("T"), title: "no tiers", kind: "tiered", rules: {} },
      { code: uniq("F"), title: "unknown rule", kind: "cart_fixed", value: 100, rules: { color: "red" } },
      { title: "no code", kind: "cart_fixed", value: 100 },
    ];
    for (const body of bad) {
      const res = await admin("POST", "/discounts", body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expectErrorEnvelope(res, "VALIDATION_ERROR");
    }
  });

  it("updates under If-Match, re-validating the merged definition; a deleted code stops applying", async () => {
    const customer = await registerCustomer();
    const v = await createVariant(10, 3000);
    await addToCart(customer.token, v.id, 1);
    const created = (await admin("POST", "/discounts", { code: uniq("EDIT"), title: "off", kind: "cart_fixed", value: 100 })).json;
    const path = `/discounts/${created.id}`;
    expect((await admin("PATCH", path, { value: 200 })).status).toBe(428);
    expect((await admin("PATCH", path, { kind: "tiered" }, { "If-Match": '"1"' })).status).toBe(422);
    const updated = await admin("PATCH", path, { value: 200 }, { "If-Match": '"1"' });
    expect(updated.json).toMatchObject({ value: 200, version: 2 });
    expect((await admin("PATCH", path, { value: 300 }, { "If-Match": '"1"' })).json.error.details.currentVersion).toBe(2);
    expect((await enterCode(customer.token, created.code)).json.totals.discount.amount).toBe(200);
    expect((await admin("DELETE", path)).status).toBe(204);
    const cart = await call("GET", "/api/v1/store/cart", { token: customer.token });
    expect(cart.json.inactiveCodes).toEqual([{ code: created.code, reason: "unknown" }]);
    const list = await admin("GET", "/discounts?limit=100");
    expect(list.json.data.map((d: { id: string }) => d.id)).not.toContain(created.id);
  });
});
