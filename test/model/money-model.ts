/**
 * The money model: seeded, model-based runs of the real Worker (its fetch handler, cron tasks and
 * queue consumer) in workerd, where shoppers, the payment provider, webhooks, sweeps and admins act
 * in interleavings chosen by a seeded scheduler (./scheduler.ts), with faults injected (provider network errors
 * and refusals, a D1 batch failing at finalize, an overloaded InventoryDO, a request dying between
 * steps). After each run the world is driven to quiescence (webhooks delivered, sweeps run, admin
 * retries, open returns approved and received or, with a difference never paid, rejected) and the
 * invariants of docs/checkout.md and docs/returns.md are checked against the provider's own ledger.
 */
import { env } from "cloudflare:test";
import fc from "fast-check";
import { expect } from "vitest";
import { newId } from "../../src/lib/ids";
import { tendersOf } from "../../src/modules/gift-cards/tenders";
import { signAccessToken } from "../../src/modules/auth/tokens";
import { deliverOutboxEmail } from "../../src/modules/notifications/service";
import { retryRefund } from "../../src/modules/refunds/service";
import { testPaymentFaults, testPaymentLedger } from "../../src/modules/payments/test-provider";
import { exchangeKeyOf } from "../../src/modules/returns/keys";
import { processOrderEvent } from "../../src/queues/order-events";
import { scheduledTasks } from "../../src/scheduled";
import { createProduct, inventoryStub } from "../factories/commerce";
import { createDiscount } from "../factories/pricing";
import { FakeStripe } from "../fakes/stripe";
import { SeededScheduler } from "./scheduler";
import { faultyEnv, InjectedFault, RequestDied, type FaultHooks, type QueueCall } from "../faults";
import { callWith } from "../helpers";

// ── What a run is made of ────────────────────────────────────────────────────

export type Fault =
  | { kind: "none" }
  | { kind: "die"; after: number }
  | { kind: "dieAfterStock"; calls: number }
  | { kind: "finalizeBatch" }
  | { kind: "stateWriteFails" }
  | { kind: "overloaded" }
  | { kind: "providerNetwork"; after: boolean }
  | { kind: "providerError" }
  | { kind: "providerRefuses" };

export type Op =
  | { t: "journey"; c: number; v: number; qty: number; key: number; ok: boolean; confirm: boolean; code: boolean; card?: boolean; after?: boolean }
  | { t: "latePayment"; c: number; other: number; v: number; code: boolean; race: boolean }
  | { t: "startOver"; c: number; v: number; code: boolean; race: boolean }
  | { t: "add"; c: number; v: number; qty: number }
  | { t: "setQty"; c: number; v: number; qty: number }
  | { t: "code"; c: number }
  | { t: "checkout"; c: number; key: number }
  | { t: "pay"; c: number; pick: number; ok: boolean }
  | { t: "confirm"; pick: number; ok: boolean }
  | { t: "webhook"; pick: number }
  | { t: "sweep"; task: number; ahead: number }
  | { t: "clock"; ahead: number }
  | { t: "cancel"; c: number; pick: number }
  | { t: "refund"; pick: number; restock: boolean }
  | { t: "adjust"; v: number; delta: number; key: number }
  | { t: "set"; v: number; onHand: number; key: number }
  | { t: "orderEvents" }
  | { t: "deliver"; pick: number }
  | { t: "return"; pick: number; restock: boolean; credit: boolean; exchange: boolean; payOk: boolean };

export type Step = { op: Op; fault: Fault }[];
export type Scenario = { mode: "test" | "stripe"; stock: number[]; codeLimit: number; steps: Step[]; schedule: number[] };

/**
 * Markets: every run sells in one region whose goods ship, with tax by place and a flat shipping
 * charge, so shipping is part of every charge, order total and refund the invariants check.
 */
const MODEL_ADDRESS = { firstName: "Model", lastName: "Shopper", line1: "1 Model Way", city: "Albany", postalCode: "12207", province: "NY", countryCode: "US" };
let marketSetup: Promise<string> | undefined;
async function modelMarket(e: Env, adminToken: string): Promise<string> {
  marketSetup ??= (async () => {
    const admin = (path: string, body: unknown) => callWith(e, "POST", `/api/v1/admin${path}`, { token: adminToken, body });
    await admin("/regions", { code: "MODEL", name: "Model", currency: "USD", countries: ["US"], isDefault: true });
    await admin("/tax-rates", { countryCode: "US", provinceCode: "NY", taxCategory: "standard", rateBps: 800, name: "NY" });
    await admin("/tax-rates", { countryCode: "US", provinceCode: "NY", taxCategory: "shipping", rateBps: 800, name: "NY shipping" });
    const method = await admin("/shipping-methods", { regionCode: "MODEL", name: "Flat", amount: 450 });
    if (method.status !== 201) throw new Error(`model shipping method: ${method.status} ${method.text}`);
    return method.json.id as string;
  })();
  return marketSetup;
}

const CUSTOMERS = 3;
const VARIANTS = 2;
const AHEAD_MS = [0, 6 * 60_000, 20 * 60_000, 3 * 3600_000];

const customer = fc.nat(CUSTOMERS - 1);
const variant = fc.nat(VARIANTS - 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  // A whole purchase (each request of it interleaved with everything else): add, lock, pay, and
  // with a Stripe-like provider the customer confirming in the browser.
  { weight: 10, arbitrary: fc.record({ t: fc.constant("journey" as const), c: customer, v: variant, qty: fc.integer({ min: 1, max: 2 }), key: fc.nat(2), ok: fc.nat(4).map((n) => n > 0), confirm: fc.boolean(), code: fc.nat(2).map((n) => n === 0), card: fc.nat(2).map((n) => n === 0), after: fc.nat(2).map((n) => n === 0) }) },
  // After the purchase: an admin delivers an order, a shopper returns a unit of it (admin approves and receives).
  { weight: 3, arbitrary: fc.record({ t: fc.constant("deliver" as const), pick: fc.nat(3) }) },
  // Sometimes for the other variant instead of money: a dearer one (or a discounted original) leaves a price difference to pay.
  { weight: 3, arbitrary: fc.record({ t: fc.constant("return" as const), pick: fc.nat(3), restock: fc.boolean(), credit: fc.nat(3).map((n) => n === 0), exchange: fc.boolean(), payOk: fc.nat(3).map((n) => n > 0) }) },
  // The race behind most lost money: a payment confirmed after its checkout lapsed and its stock went to someone else.
  { weight: 3, arbitrary: fc.record({ t: fc.constant("latePayment" as const), c: customer, other: customer, v: variant, code: fc.boolean(), race: fc.boolean() }) },
  // A payment left unconfirmed, the cart checked out again: the first checkout is superseded and its
  // intent canceled, while the customer may still confirm it.
  { weight: 2, arbitrary: fc.record({ t: fc.constant("startOver" as const), c: customer, v: variant, code: fc.boolean(), race: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("add" as const), c: customer, v: variant, qty: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("setQty" as const), c: customer, v: variant, qty: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("code" as const), c: customer }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("checkout" as const), c: customer, key: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("pay" as const), c: customer, pick: fc.nat(2), ok: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("confirm" as const), pick: fc.nat(3), ok: fc.nat(3).map((n) => n > 0) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("webhook" as const), pick: fc.nat(7) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("sweep" as const), task: fc.nat(scheduledTasks.length - 1), ahead: fc.nat(AHEAD_MS.length - 1) }) },
  // Time passes for checkouts: pending payments come unstuck, lapsed ones expire and free their stock.
  { weight: 4, arbitrary: fc.record({ t: fc.constant("clock" as const), ahead: fc.integer({ min: 1, max: AHEAD_MS.length - 1 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("cancel" as const), c: customer, pick: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("refund" as const), pick: fc.nat(3), restock: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("adjust" as const), v: variant, delta: fc.integer({ min: -2, max: 3 }).filter((d) => d !== 0), key: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("set" as const), v: variant, onHand: fc.nat(4), key: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.constant({ t: "orderEvents" as const }) },
);
const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 20, arbitrary: fc.constant({ kind: "none" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("die" as const), after: fc.integer({ min: 1, max: 10 }) }) },
  // Dies right after talking to the stock objects: holds taken (or sold), the D1 write after them never made.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("dieAfterStock" as const), calls: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "finalizeBatch" as const }) },
  // One conditional state write fails (D1 unavailable for a moment); the request's own clean-up runs.
  { weight: 1, arbitrary: fc.constant({ kind: "stateWriteFails" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "overloaded" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("providerNetwork" as const), after: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "providerError" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "providerRefuses" as const }) },
);
export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  // The Stripe-like flow has more to get wrong (webhooks late, duplicated, out of order): two runs in three.
  mode: fc.nat(2).map((n) => (n === 0 ? ("test" as const) : ("stripe" as const))),
  // Scarce stock: shoppers contend for it, and a lapsed checkout's unit is soon someone else's.
  stock: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: VARIANTS, maxLength: VARIANTS }),
  codeLimit: fc.integer({ min: 1, max: 2 }),
  steps: fc.array(fc.array(fc.record({ op: opArb, fault: faultArb }), { minLength: 1, maxLength: 3 }), { minLength: 8, maxLength: 20 }),
  /** One scheduler seed per step: which operation runs, and where it is preempted. */
  schedule: fc.array(fc.integer(), { minLength: 20, maxLength: 20 }),
});

// ── The world of one run ─────────────────────────────────────────────────────

type Shopper = { id: string; token: string; checkouts: string[]; codeEntered: boolean };
type AdminOp = { variantId: string; key: string; path: string; method: "POST" | "PUT"; body: unknown; settled: boolean };

class World {
  shoppers: Shopper[] = [];
  adminToken = "";
  variants: { id: string; initial: number }[] = [];
  discount!: { id: string; code: string };
  shippingMethodId = "";
  /** One gift card every shopper may spend: their checkouts contend for its balance. */
  card!: { id: string; code: string; amount: number };
  readonly stripe = new FakeStripe(env.PAYMENT_WEBHOOK_SECRET);
  readonly inbox: string[] = [];
  readonly delivered = new Set<number>();
  readonly queued: QueueCall[] = [];
  readonly adminOps = new Map<string, AdminOp>();
  /** Returns asked for in the run: admins finish approving and receiving them at quiescence. */
  readonly returns = new Set<string>();
  readonly log: string[] = [];
  inFlight = 0;
  scheduler: SeededScheduler | null = null;
  private keys = 100;
  /** An Idempotency-Key no earlier checkout of the run used. */
  freshKey() {
    this.keys += 1;
    return this.keys;
  }
  readonly runId = crypto.randomUUID().slice(0, 8);

  constructor(readonly scenario: Scenario) {}

  /**
   * The Worker's configuration in this run: the provider, rate limits off (one address plays every
   * role), and every exchange price difference charged (the model's are small).
   */
  baseEnv(): Env {
    const vars = this.scenario.mode === "stripe" ? { PAYMENT_PROVIDER: "stripe", PAYMENT_API_KEY: "sk_test_model" } : { PAYMENT_PROVIDER: "test" };
    return { ...env, ...vars, RATE_LIMIT_ENABLED: "false", EXCHANGE_MIN_CHARGE: "0" } as Env;
  }

  async setup() {
    const now = Date.now();
    const secret = env.JWT_SECRET;
    for (let i = 0; i < CUSTOMERS; i++) {
      const id = newId("usr", now);
      await env.DB.prepare("INSERT INTO users (id, email, password_hash, name, role, marketing_opt_in, created_at, updated_at) VALUES (?, ?, 'x', 'Model Shopper', 'CUSTOMER', 0, ?, ?)")
        .bind(id, `model-${this.runId}-${i}@example.test`, now, now)
        .run();
      this.shoppers.push({ id, token: await signAccessToken(secret, { userId: id, role: "CUSTOMER" }, 3600), checkouts: [], codeEntered: false });
    }
    const adminId = newId("usr", now);
    await env.DB.prepare("INSERT INTO users (id, email, password_hash, name, role, marketing_opt_in, created_at, updated_at) VALUES (?, ?, 'x', 'Model Admin', 'ADMIN', 0, ?, ?)")
      .bind(adminId, `model-admin-${this.runId}@example.test`, now, now)
      .run();
    this.adminToken = await signAccessToken(secret, { userId: adminId, role: "ADMIN" }, 3600);
    this.shippingMethodId = await modelMarket(this.baseEnv(), this.adminToken);
    const { variants } = await createProduct({ requiresShipping: true, variants: this.scenario.stock.map((stock, i) => ({ price: 1000 + i * 250, stock, weightGrams: 300 })) });
    this.variants = variants.map((v, i) => ({ id: v.id, initial: this.scenario.stock[i]! }));
    const discount = await createDiscount({ kind: "cart_fixed", value: 300, usageLimit: this.scenario.codeLimit });
    this.discount = { id: discount.id, code: discount.code! };
    const card = await callWith(this.baseEnv(), "POST", "/api/v1/admin/gift-cards", { token: this.adminToken, body: { amount: 1500, currency: "USD" } });
    this.card = { id: card.json.id, code: card.json.code, amount: 1500 };
  }

  /** An env for one operation: its own faults, its I/O parked at the scheduler, its queue messages kept. */
  opEnv(s: SeededScheduler | null, fault: Fault, label: string) {
    let stockCalls = 0;
    let stateWriteFailed = false;
    const thread = s?.thread(label);
    const park = async (what: string, isWrite = true) => {
      if (s && thread) await s.park(thread, what, isWrite);
      if (fault.kind === "dieAfterStock" && stockCalls >= fault.calls) throw new RequestDied();
    };
    const hooks: FaultHooks = {
      captureQueues: true,
      track: { start: () => (this.inFlight += 1), end: () => (this.inFlight -= 1) },
      queue: (call) => void this.queued.push(call),
      dieAfter: fault.kind === "die" ? fault.after : null,
      d1: async (call) => {
        await park(`d1 ${call.kind} ${call.sql[0]!.slice(0, 40)}`, call.kind === "batch" || call.kind === "run");
        if (fault.kind === "finalizeBatch" && call.kind === "batch" && call.sql.some((q) => q.startsWith("INSERT INTO orders"))) {
          throw new InjectedFault("D1 batch failed at finalize");
        }
        // A transition alone, or batched with what it writes (the lock with its stored answer, a failure with its compensations).
        const stateWrite = (call.kind === "run" && call.sql[0]!.startsWith("UPDATE checkouts SET state")) || (call.kind === "batch" && call.sql[0]!.startsWith("UPDATE checkouts SET state = ?"));
        if (fault.kind === "stateWriteFails" && !stateWriteFailed && stateWrite) {
          stateWriteFailed = true;
          throw new InjectedFault("D1 write failed");
        }
      },
      stock: async (call) => {
        await park(`stock ${call.method}`);
        stockCalls += 1;
        if (fault.kind === "overloaded") throw Object.assign(new Error("Durable Object is overloaded"), { overloaded: true });
      },
    };
    return faultyEnv(this.baseEnv(), hooks);
  }

  /** Provider faults apply to the provider's next calls while the step runs. */
  armProvider(fault: Fault) {
    if (this.scenario.mode === "stripe") {
      const f = fault.kind === "providerNetwork" ? (fault.after ? "network_after" : "network_before") : fault.kind === "providerError" ? "http_500" : fault.kind === "providerRefuses" ? "http_400" : null;
      if (f) {
        this.stripe.faults.refunds.push(f);
        if (f !== "http_400") this.stripe.faults.intents.push(f === "network_after" ? "network_before" : f);
      }
    } else {
      const f = fault.kind === "providerNetwork" ? (fault.after ? "network_after" : "network_before") : fault.kind === "providerError" ? "provider_error" : fault.kind === "providerRefuses" ? "rejected" : null;
      if (f) {
        testPaymentFaults.refund.push(f);
        testPaymentFaults.start.push(f === "rejected" ? "provider_error" : "network_before");
      }
    }
  }

  disarmProvider() {
    this.stripe.faults.refunds.length = 0;
    this.stripe.faults.intents.length = 0;
    testPaymentFaults.start.length = 0;
    testPaymentFaults.refund.length = 0;
  }

  async orderIdsOf(shopper: Shopper): Promise<string[]> {
    const { results } = await env.DB.prepare("SELECT id FROM orders WHERE customer_id = ? ORDER BY created_at DESC").bind(shopper.id).all<{ id: string }>();
    return results.map((r) => r.id);
  }

  async orderIdsIn(statuses: string[]): Promise<string[]> {
    const ids = this.shoppers.map((s) => s.id);
    const { results } = await env.DB.prepare(
      `SELECT id FROM orders WHERE customer_id IN (${ids.map(() => "?").join(",")}) AND status IN (${statuses.map(() => "?").join(",")}) ORDER BY id`,
    ).bind(...ids, ...statuses).all<{ id: string }>();
    return results.map((r) => r.id);
  }

  async allOrderIds(): Promise<string[]> {
    const ids = this.shoppers.map((s) => s.id);
    const { results } = await env.DB.prepare(`SELECT id FROM orders WHERE customer_id IN (${ids.map(() => "?").join(",")}) ORDER BY id`).bind(...ids).all<{ id: string }>();
    return results.map((r) => r.id);
  }

  /** Runs one operation of a step; anything it throws is what a client would have seen as a failed request. */
  async run(op: Op, e: Env, label: string = op.t, now = Date.now()): Promise<string> {
    const shopper = "c" in op ? this.shoppers[op.c]! : null;
    const token = shopper?.token;
    switch (op.t) {
      case "journey": {
        // The step's fault hits the checkout and the payment; adding to the cart goes through.
        const clean = this.opEnv(this.scheduler, { kind: "none" }, `${label} add`);
        // A new purchase: the cart holds just this (what an earlier attempt left is taken out).
        const cart = await callWith(clean, "GET", "/api/v1/store/cart", { token });
        for (const item of cart.json?.items ?? []) await callWith(clean, "DELETE", `/api/v1/store/cart/items/${item.id}`, { token });
        const steps = [await this.run({ t: "add", c: op.c, v: op.v, qty: op.qty }, clean)];
        if (op.code) steps.push(await this.run({ t: "code", c: op.c }, clean));
        if (op.card) steps.push(`card → ${(await callWith(clean, "POST", "/api/v1/store/cart/gift-cards", { token, body: { code: this.card.code } })).status}`);
        // A card applied by an earlier journey stays on the cart unless this one pays without it.
        else await callWith(clean, "DELETE", `/api/v1/store/cart/gift-cards/${this.card.code}`, { token });
        steps.push(await this.run({ t: "checkout", c: op.c, key: op.key }, e));
        if (/→ 5\d\d/.test(steps.at(-1)!)) {
          // A client whose request died retries with the same Idempotency-Key — after the
          // shopper added one more unit meanwhile, the case where holds must follow the cart.
          const retry = this.opEnv(this.scheduler, { kind: "none" }, `${label} retry`);
          steps.push(await this.run({ t: "add", c: op.c, v: op.v, qty: 1 }, retry));
          steps.push(await this.run({ t: "checkout", c: op.c, key: op.key }, retry));
        }
        if (!steps.at(-1)!.includes(" 201 ")) return steps.join("; ");
        steps.push(await this.run({ t: "pay", c: op.c, pick: 0, ok: op.ok }, e));
        if (/→ 5\d\d/.test(steps.at(-1)!)) steps.push(await this.run({ t: "pay", c: op.c, pick: 0, ok: op.ok }, this.opEnv(this.scheduler, { kind: "none" }, `${label} pay again`)));
        if (this.scenario.mode === "stripe" && op.confirm) steps.push(await this.run({ t: "confirm", pick: 0, ok: op.ok }, e));
        // After the purchase: an order is delivered and a unit of it comes back.
        if (op.after) steps.push(await this.run({ t: "return", pick: op.key, restock: op.ok, credit: op.code, exchange: op.confirm, payOk: op.ok }, e, label));
        return steps.join("; ");
      }
      case "latePayment": {
        // A pays (the customer does not confirm yet) and comes unstuck; then, all at once, time
        // runs out on A's checkout, the customer confirms and the webhook lands, and B wants the
        // same unit — the interleavings behind lost money and doubly used codes.
        const clean = (what: string) => this.opEnv(this.scheduler, { kind: "none" }, `${label} ${what}`);
        const other = (op.c + 1 + (op.other % (CUSTOMERS - 1))) % CUSTOMERS;
        const steps = [await this.run({ t: "journey", c: op.c, v: op.v, qty: 1, key: this.freshKey(), ok: true, confirm: false, code: op.code }, clean("A"), label)];
        const intent = [...this.stripe.intents.values()].at(-1);
        steps.push(await this.run({ t: "clock", ahead: 1 }, clean("unstick"), label));
        const parts: (() => Promise<string>)[] = [
          () => this.run({ t: "clock", ahead: 2 }, clean("expiry"), label),
          () => this.run({ t: "journey", c: other, v: op.v, qty: 1, key: this.freshKey(), ok: true, confirm: false, code: op.code }, clean("B"), label),
        ];
        if (this.scenario.mode === "stripe" && intent?.status === "requires_payment_method") {
          parts.push(() => {
            this.inbox.push(this.stripe.confirm(intent.id));
            return this.run({ t: "webhook", pick: 0 }, e, label);
          });
        }
        // All at once (the scheduler picks the interleaving), or one after the other: A's checkout
        // lapses, B takes the unit, and only then does A's payment land.
        if (op.race) steps.push((await Promise.all(parts.map((part) => part()))).join(" & "));
        else for (const part of parts) steps.push(await part());
        return steps.join(" | ");
      }
      case "startOver": {
        // A pays and the customer does not confirm; they check the same cart out again (B). Then A
        // comes unstuck (superseded by B), the cancel sweep runs, the customer confirms A's intent
        // after all and its webhook lands, and B is paid: all at once, or one after the other.
        const clean = (what: string) => this.opEnv(this.scheduler, { kind: "none" }, `${label} ${what}`);
        const steps = [await this.run({ t: "journey", c: op.c, v: op.v, qty: 1, key: this.freshKey(), ok: true, confirm: false, code: op.code }, clean("A"), label)];
        const intent = [...this.stripe.intents.values()].at(-1);
        steps.push(await this.run({ t: "checkout", c: op.c, key: this.freshKey() }, clean("B"), label));
        const cancelTask = scheduledTasks.findIndex((t) => t.name === "cancel_ended_checkout_payments");
        const parts: (() => Promise<string>)[] = [
          () => this.run({ t: "clock", ahead: 1 }, clean("unstick"), label),
          () => this.run({ t: "sweep", task: cancelTask, ahead: 0 }, clean("cancel sweep"), label),
          () => this.run({ t: "pay", c: op.c, pick: 0, ok: true }, clean("pay B"), label),
        ];
        if (this.scenario.mode === "stripe" && intent) {
          parts.push(async () => {
            // Whatever the sweep did by now: a canceled intent cannot be paid.
            if (intent.status !== "requires_payment_method") return `confirm A → ${intent.status}`;
            this.inbox.push(this.stripe.confirm(intent.id));
            return this.run({ t: "webhook", pick: 0 }, e, label);
          });
        }
        if (op.race) steps.push((await Promise.all(parts.map((part) => part()))).join(" & "));
        else for (const part of parts) steps.push(await part());
        return steps.join(" | ");
      }
      case "add": {
        const res = await callWith(e, "POST", "/api/v1/store/cart/items", { token, body: { variantId: this.variants[op.v]!.id, quantity: op.qty } });
        // The goods ship: a cart without a destination gets one and the flat method (a new cart after each order has none).
        if (res.status === 201 && !res.json.shippingMethod) {
          const address = await callWith(e, "PUT", "/api/v1/store/cart/shipping-address", { token, body: { address: MODEL_ADDRESS } });
          const method = await callWith(e, "PUT", "/api/v1/store/cart/shipping-method", { token, body: { shippingMethodId: this.shippingMethodId } });
          return `add → ${res.status}, ship → ${address.status}/${method.status}`;
        }
        return `add → ${res.status}`;
      }
      case "setQty": {
        const cart = await callWith(e, "GET", "/api/v1/store/cart", { token });
        const item = cart.json?.items?.find((i: { variantId: string }) => i.variantId === this.variants[op.v]!.id);
        if (!item) return "setQty → no item";
        const res = op.qty === 0
          ? await callWith(e, "DELETE", `/api/v1/store/cart/items/${item.id}`, { token })
          : await callWith(e, "PATCH", `/api/v1/store/cart/items/${item.id}`, { token, body: { quantity: op.qty } });
        return `setQty → ${res.status}`;
      }
      case "code": {
        const res = await callWith(e, "POST", "/api/v1/store/cart/discounts", { token, body: { code: this.discount.code } });
        return `code → ${res.status}`;
      }
      case "checkout": {
        const res = await callWith(e, "POST", "/api/v1/store/checkouts", { token, headers: { "Idempotency-Key": `model-${this.runId}-${op.c}-${op.key}` } });
        if (res.status === 201 && !shopper!.checkouts.includes(res.json.id)) shopper!.checkouts.unshift(res.json.id);
        return `checkout → ${res.status}${res.json?.id ? ` ${res.json.id}` : ""}`;
      }
      case "pay": {
        const checkoutId = shopper!.checkouts[Math.min(op.pick, shopper!.checkouts.length - 1)];
        if (!checkoutId) return "pay → no checkout";
        const body = this.scenario.mode === "test" ? { token: op.ok ? "tok_success" : "tok_decline" } : {};
        const res = await callWith(e, "POST", `/api/v1/store/checkouts/${checkoutId}/payment`, { token, body });
        return `pay ${checkoutId} → ${res.status} ${res.json?.state ?? res.json?.error?.code ?? ""}`;
      }
      case "confirm": {
        // The newest intents are the likeliest to be confirmed, as customers do right after paying.
        const intents = [...this.stripe.intents.values()].reverse();
        const intent = intents[op.pick % Math.max(1, intents.length)];
        if (!intent || intent.status === "succeeded") return "confirm → nothing";
        // The shop canceled it (checkInvariants: only once nothing could count it): the provider refuses to charge it.
        if (intent.status === "canceled") return `confirm ${intent.id} → canceled, nothing charged`;
        this.inbox.push(op.ok ? this.stripe.confirm(intent.id) : this.stripe.decline(intent.id));
        return `confirm ${intent.id} ${op.ok ? "paid" : "declined"}`;
      }
      case "webhook": {
        if (this.inbox.length === 0) return "webhook → none";
        // Mostly the newest events, sometimes an old one again (duplicates, out of order).
        const index = this.inbox.length - 1 - (op.pick % this.inbox.length);
        const res = await callWith(e, "POST", "/api/v1/webhooks/payments", await this.stripe.signed(this.inbox[index]!));
        if (res.status === 200) this.delivered.add(index);
        return `webhook #${index} → ${res.status}`;
      }
      case "sweep": {
        const task = scheduledTasks[op.task]!;
        await task.run(e, now + AHEAD_MS[op.ahead]!);
        return `sweep ${task.name} +${AHEAD_MS[op.ahead]! / 60_000}min`;
      }
      case "cancel": {
        const orderId = (await this.orderIdsOf(shopper!))[op.pick];
        if (!orderId) return "cancel → no order";
        const res = await callWith(e, "POST", `/api/v1/store/orders/${orderId}/cancel`, { token });
        return `cancel ${orderId} → ${res.status}`;
      }
      case "refund": {
        const orderId = (await this.allOrderIds())[op.pick];
        if (!orderId) return "refund → no order";
        const res = await callWith(e, "POST", `/api/v1/admin/orders/${orderId}/refund`, { token: this.adminToken, body: { restock: op.restock } });
        return `refund ${orderId} → ${res.status}`;
      }
      case "adjust":
      case "set": {
        const variantId = this.variants[op.v]!.id;
        const key = `model-${this.runId}-${op.t}-${op.v}-${op.key}`;
        // A key is used with one body only, as a careful client would.
        const known = this.adminOps.get(key);
        const adminOp: AdminOp = known ?? (op.t === "adjust"
          ? { variantId, key, method: "POST", path: `/api/v1/admin/inventory/${variantId}/adjust`, body: { delta: op.delta, reason: "model" }, settled: false }
          : { variantId, key, method: "PUT", path: `/api/v1/admin/inventory/${variantId}`, body: { onHand: op.onHand }, settled: false });
        this.adminOps.set(key, adminOp);
        return this.sendAdminOp(e, adminOp);
      }
      case "clock": {
        const at = now + AHEAD_MS[op.ahead]!;
        for (const name of ["resume_paid_checkouts", "expire_abandoned_checkouts"]) await scheduledTasks.find((t) => t.name === name)!.run(e, at);
        return `clock +${AHEAD_MS[op.ahead]! / 60_000}min`;
      }
      case "deliver": {
        const orderId = (await this.orderIdsIn(["pending", "confirmed", "processing", "shipped"]))[op.pick];
        if (!orderId) return "deliver → no order";
        const statuses: number[] = [];
        for (const status of ["processing", "shipped", "delivered"]) {
          statuses.push((await callWith(e, "POST", `/api/v1/admin/orders/${orderId}/status`, { token: this.adminToken, body: { status } })).status);
        }
        return `deliver ${orderId} → ${statuses.join(",")}`;
      }
      case "return": {
        const ids = this.shoppers.map((x) => x.id);
        // Delivered lines with units not yet being returned (an order is delivered first when none is).
        const returnable = async () =>
          (await env.DB.prepare(
            `SELECT o.id, o.customer_id, i.variant_id FROM orders o JOIN order_items i ON i.order_id = o.id
             WHERE o.customer_id IN (${ids.map(() => "?").join(",")}) AND o.status = 'delivered'
               AND i.quantity > (SELECT COALESCE(SUM(l.quantity), 0) FROM return_lines l JOIN returns r ON r.id = l.return_id
                                 WHERE l.order_id = o.id AND l.variant_id = i.variant_id AND r.status <> 'rejected')
             ORDER BY o.id, i.id`,
          ).bind(...ids).all<{ id: string; customer_id: string; variant_id: string }>()).results;
        let lines = await returnable();
        const steps: string[] = [];
        if (lines.length === 0) {
          steps.push(await this.run({ t: "deliver", pick: op.pick }, e, label));
          lines = await returnable();
        }
        const line = lines[op.pick % Math.max(1, lines.length)];
        if (!line) return [...steps, "return → nothing to return"].join("; ");
        const token = this.shoppers.find((x) => x.id === line.customer_id)!.token;
        const other = this.variants.find((v) => v.id !== line.variant_id);
        const exchange = op.exchange && other ? { exchange: [{ variantId: other.id, quantity: 1 }] } : {};
        const body = { lines: [{ variantId: line.variant_id, quantity: 1 }], refundTo: op.credit ? "store_credit" : "original", ...exchange };
        const asked = await callWith(e, "POST", `/api/v1/store/orders/${line.id}/returns`, { token, body });
        if (asked.status !== 201) return [...steps, `return ${line.id} → ${asked.status}`].join("; ");
        this.returns.add(asked.json.id);
        if (asked.json.difference?.status === "due") {
          // The customer pays the difference (with a Stripe-like provider: an intent a later confirm op may complete).
          const payBody = this.scenario.mode === "test" ? { token: op.payOk ? "tok_success" : "tok_decline" } : {};
          const paid = await callWith(e, "POST", `/api/v1/store/returns/${asked.json.id}/payment`, { token, body: payBody });
          steps.push(`difference ${asked.json.difference.amount.amount} → ${paid.status} ${paid.json?.difference?.status ?? paid.json?.error?.code ?? ""}`);
        }
        const approved = await callWith(e, "POST", `/api/v1/admin/returns/${asked.json.id}/approve`, { token: this.adminToken });
        const received = await callWith(e, "POST", `/api/v1/admin/returns/${asked.json.id}/receive`, { token: this.adminToken, body: { restock: op.restock } });
        return [...steps, `return ${asked.json.id} → 201, approve ${approved.status}, receive ${received.status} ${received.json?.status ?? received.json?.error?.code ?? ""}`].join("; ");
      }
      case "orderEvents": {
        const messages = this.queued.filter((m) => m.queue === "order-events");
        for (const m of messages) await processOrderEvent(e, m.body);
        return `order events × ${messages.length}`;
      }
    }
  }

  async sendAdminOp(e: Env, op: AdminOp) {
    const res = await callWith(e, op.method, op.path, { token: this.adminToken, headers: { "Idempotency-Key": op.key }, body: op.body });
    if (res.status === 200 || res.status === 409) op.settled = true;
    return `${op.method} ${op.path.split("/").pop()} ${JSON.stringify(op.body)} → ${res.status}`;
  }
}

// ── Running a scenario ───────────────────────────────────────────────────────

/** Lets every released operation run until it parks at the scheduler again (or ends). */
async function settleIo(world: World) {
  for (let quiet = 0; quiet < 3; ) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    quiet = world.inFlight === 0 ? quiet + 1 : 0;
  }
}

async function runSteps(world: World) {
  for (const [i, step] of world.scenario.steps.entries()) {
    const s = new SeededScheduler(world.scenario.schedule[i % world.scenario.schedule.length]!);
    world.scheduler = s;
    for (const { fault } of step) world.armProvider(fault);
    const running = step.map(({ op, fault }, j) => {
      const label = `${i}.${j} ${op.t}`;
      return world.run(op, world.opEnv(s, fault, label), label).then(
        (what) => world.log.push(`${label} [${fault.kind}] ${what}`),
        (err: unknown) => world.log.push(`${label} [${fault.kind}] threw ${err instanceof Error ? err.name : String(err)}`),
      );
    });
    await s.run(Promise.all(running), () => settleIo(world));
    world.disarmProvider();
  }
}

/** No more faults; the provider delivers every webhook, admins retry what died, sweeps run until nothing is left to do. */
async function quiesce(world: World) {
  world.disarmProvider();
  const e = world.opEnv(null, { kind: "none" }, "quiesce");
  world.scheduler = null;
  for (const [index, body] of world.inbox.entries()) {
    if (world.delivered.has(index)) continue;
    const res = await callWith(e, "POST", "/api/v1/webhooks/payments", await world.stripe.signed(body));
    expect(res.status, `webhook #${index} at quiescence`).toBe(200);
  }
  for (const op of world.adminOps.values()) if (!op.settled) await world.sendAdminOp(e, op);
  // Admins finish what a fault interrupted: approve what is requested, receive what is approved —
  // every open return of the shoppers, as the admin list shows them (a request that died after
  // writing its return never told the shopper its id).
  const shopperIds = world.shoppers.map((x) => x.id);
  const open = await env.DB.prepare(`SELECT id FROM returns WHERE customer_id IN (${shopperIds.map(() => "?").join(",")}) AND status IN ('requested', 'approved')`)
    .bind(...shopperIds)
    .all<{ id: string }>();
  for (const { id } of open.results) world.returns.add(id);
  for (const id of world.returns) {
    await callWith(e, "POST", `/api/v1/admin/returns/${id}/approve`, { token: world.adminToken });
    await callWith(e, "POST", `/api/v1/admin/returns/${id}/receive`, { token: world.adminToken, body: { restock: true } });
  }
  // A return whose price difference was never paid cannot be approved: the admin rejects it.
  for (const id of world.returns) {
    const row = await env.DB.prepare("SELECT status FROM returns WHERE id = ?").bind(id).first<{ status: string }>();
    if (row?.status === "requested") await callWith(e, "POST", `/api/v1/admin/returns/${id}/reject`, { token: world.adminToken, body: {} });
  }
  const base = Date.now();
  for (let round = 1; round <= 4; round++) {
    for (const task of scheduledTasks) await task.run(e, base + round * 24 * 3600_000);
    if (round === 3) {
      const ids = await runRefundIds(world, "needs_attention");
      for (const id of ids) await retryRefund(e, id, base + round * 24 * 3600_000);
    }
  }
  for (const m of world.queued.filter((q) => q.queue === "order-events")) await processOrderEvent(e, m.body);
  for (const orderId of await world.allOrderIds()) {
    const row = await env.DB.prepare("SELECT id FROM email_outbox WHERE dedupe_key = ?").bind(`order_confirmation:${orderId}`).first<{ id: string }>();
    if (row) await deliverOutboxEmail(e, row.id);
  }
}

async function runRefundIds(world: World, status: string) {
  const ids = world.shoppers.map((s) => s.id);
  const marks = ids.map(() => "?").join(",");
  // Refunds of the shoppers' checkouts and of their returns' price differences (under the exchange key).
  const { results } = await env.DB.prepare(
    `SELECT r.id FROM refunds r WHERE r.status = ? AND (r.checkout_id IN (SELECT id FROM checkouts WHERE customer_id IN (${marks}))
       OR r.checkout_id IN (SELECT 'exc_' || substr(id, 5) FROM returns WHERE customer_id IN (${marks})))`,
  ).bind(status, ...ids, ...ids).all<{ id: string }>();
  return results.map((r) => r.id);
}

// ── The invariants ───────────────────────────────────────────────────────────

type PaymentFacts = { id: string; checkout_id: string; provider_ref: string; amount: number; status: string; order_id: string | null };

async function checkInvariants(world: World) {
  const customerIds = world.shoppers.map((s) => s.id);
  const marks = customerIds.map(() => "?").join(",");
  const all = async <T>(sql: string, ...args: unknown[]) => (await env.DB.prepare(sql).bind(...args).all<T>()).results;
  const checkouts = await all<{ id: string; state: string; payment_id: string | null; order_id: string | null; tenders: string }>(`SELECT id, state, payment_id, order_id, tenders FROM checkouts WHERE customer_id IN (${marks})`, ...customerIds);
  const checkoutIds = new Set(checkouts.map((c) => c.id));
  const orders = await all<{ id: string; checkout_id: string; status: string; subtotal: number; discount_total: number; shipping_total: number; tax_total: number; total: number; restock_on_settle: number; settled_at: number | null }>(
    `SELECT id, checkout_id, status, subtotal, discount_total, shipping_total, tax_total, total, restock_on_settle, settled_at FROM orders WHERE customer_id IN (${marks})`,
    ...customerIds,
  );
  const payments = (await all<PaymentFacts>("SELECT id, checkout_id, provider_ref, amount, status, order_id FROM payments WHERE provider = ?", world.scenario.mode)).filter((p) => checkoutIds.has(p.checkout_id));
  const refunds = await all<{ payment_id: string; status: string; amount: number; reason: string }>(`SELECT r.payment_id, r.status, r.amount, r.reason FROM refunds r JOIN checkouts c ON c.id = r.checkout_id WHERE c.customer_id IN (${marks})`, ...customerIds);
  const cardOf = (checkoutId: string) => tendersOf(checkouts.find((c) => c.id === checkoutId)!).reduce((sum, t) => sum + t.amount, 0);
  // What returns refunded of a payment (an order keeps its payment, less what its returns gave back).
  const returnedOf = (paymentId: string) => refunds.filter((r) => r.payment_id === paymentId && r.reason === "return" && r.status === "succeeded").reduce((sum, r) => sum + r.amount, 0);

  // Every checkout ended: no money or stock is left in flight.
  for (const c of checkouts) expect(["COMPLETED", "EXPIRED", "FAILED", "REFUNDED"], `checkout ${c.id} ended`).toContain(c.state);

  // An intent the shop canceled could never have been counted: its checkout was superseded or paid
  // otherwise, or its return rejected. Anything else would be a sale thrown away.
  if (world.scenario.mode === "stripe") {
    for (const intent of [...world.stripe.intents.values()].filter((i) => i.status === "canceled")) {
      const owner = intent.checkoutId.startsWith("exc_")
        ? await env.DB.prepare("SELECT status AS state, NULL AS failure_reason FROM returns WHERE 'exc_' || substr(id, 5) = ?").bind(intent.checkoutId).first<{ state: string; failure_reason: null }>()
        : await env.DB.prepare("SELECT state, failure_reason FROM checkouts WHERE id = ?").bind(intent.checkoutId).first<{ state: string; failure_reason: string | null }>();
      const ended = owner?.state === "rejected" || (owner?.state === "EXPIRED" && owner.failure_reason === "superseded") || ["COMPLETED", "REFUNDED"].includes(owner?.state ?? "");
      expect(ended, `intent ${intent.id} was canceled though ${intent.checkoutId} is ${owner?.state} (${owner?.failure_reason})`).toBe(true);
    }
  }

  // The provider's truth: what it charged and what it gave back.
  const charges = world.scenario.mode === "stripe"
    ? [...world.stripe.intents.values()].filter((i) => i.status === "succeeded" && checkoutIds.has(i.checkoutId)).map((i) => ({ ref: i.id, amount: i.amount, refunded: world.stripe.refundedOf(i.id), refunds: [...world.stripe.refunds.values()].filter((r) => r.paymentIntent === i.id && r.status === "succeeded").length }))
    : testPaymentLedger.charges.filter((c) => checkoutIds.has(c.checkoutId)).map((c) => {
        const mine = testPaymentLedger.refunds.filter((r) => r.paymentRef === c.ref);
        return { ref: c.ref, amount: c.amount, refunded: mine.reduce((sum, r) => sum + r.amount, 0), refunds: mine.length };
      });

  const ordersById = new Map(orders.map((o) => [o.id, o]));
  for (const charge of charges) {
    const payment = payments.find((p) => p.provider_ref === charge.ref);
    expect(payment, `the shop recorded charge ${charge.ref}`).toBeDefined();
    const order = payment!.order_id ? ordersById.get(payment!.order_id) : undefined;
    const kept = order && order.status !== "cancelled" && order.status !== "refunded";
    if (kept) {
      // Nothing refunded but what returns gave back, confirmed by the provider's own ledger.
      const returned = returnedOf(payment!.id);
      expect(charge.refunded, `charge ${charge.ref} pays for order ${order.id}: refunded only by its returns`).toBe(returned);
      expect(refunds.filter((r) => r.payment_id === payment!.id && r.reason !== "return"), `charge ${charge.ref}: no other refund`).toEqual([]);
      expect(payment!.status).toBe(returned > 0 && returned >= charge.amount ? "refunded" : "succeeded");
    } else {
      expect(charge.refunded, `charge ${charge.ref} has no order it pays for: refunded in full`).toBe(charge.amount);
      expect(charge.refunds, `charge ${charge.ref}: one refund`).toBe(charge.amount > 0 ? 1 : 0);
      expect(payment!.status).toBe(charge.amount > 0 ? "refunded" : "succeeded");
      expect(refunds.filter((r) => r.payment_id === payment!.id && r.status === "succeeded")).toHaveLength(charge.amount > 0 ? 1 : 0);
    }
  }
  // No order without a succeeded charge of what its gift card left (none when the card paid it all); cancelled and refunded orders are settled.
  const balanceOnly = await all<{ order_id: string; amount: number; status: string }>(`SELECT p.order_id, p.amount, p.status FROM payments p JOIN checkouts c ON c.id = p.checkout_id WHERE p.provider = 'balances' AND c.customer_id IN (${marks})`, ...customerIds);
  for (const order of orders) {
    // An exchange's order has no checkout: the returned goods (and a difference, checked below) paid for it.
    if (!checkoutIds.has(order.checkout_id)) {
      expect(order.checkout_id, `order ${order.id} without a checkout is an exchange's`).toMatch(/^exc_/);
      expect(order.total, `exchange order ${order.id} is free`).toBe(0);
      continue;
    }
    const due = order.total - cardOf(order.checkout_id);
    if (due === 0) {
      expect(balanceOnly.find((p) => p.order_id === order.id), `order ${order.id} paid by its card alone`).toMatchObject({ amount: 0, status: "succeeded" });
      expect(payments.some((p) => p.order_id === order.id), `order ${order.id}: no provider charge`).toBe(false);
      if (order.status === "cancelled" || order.status === "refunded") expect(order.settled_at, `order ${order.id} settled`).not.toBeNull();
      continue;
    }
    const payment = payments.find((p) => p.order_id === order.id);
    expect(payment, `order ${order.id} has a payment`).toBeDefined();
    const charge = charges.find((c) => c.ref === payment!.provider_ref);
    expect(charge, `order ${order.id} was charged at the provider`).toBeDefined();
    expect(charge!.amount).toBe(due);
    // Markets: the charged total is the goods after discounts plus shipping plus tax (the region is
    // tax-exclusive), shipping is charged on every order here, and so a full refund returns it too.
    expect(order.total, `order ${order.id}: total = subtotal − discount + shipping + tax`).toBe(order.subtotal - order.discount_total + order.shipping_total + order.tax_total);
    expect(order.shipping_total, `order ${order.id} paid for shipping`).toBe(450);
    if (order.status === "cancelled" || order.status === "refunded") expect(order.settled_at, `order ${order.id} settled`).not.toBeNull();
  }
  // Every refund ≤ captured: the refunds of a payment never add up to more than it took.
  for (const p of payments) {
    const claimed = refunds.filter((r) => r.payment_id === p.id).reduce((sum, r) => sum + r.amount, 0);
    expect(claimed, `payment ${p.id}: refunds ≤ captured`).toBeLessThanOrEqual(p.amount);
  }
  // Every charge the shop knows of exists at the provider.
  for (const p of payments.filter((p) => p.status === "succeeded" || p.status === "refunded")) {
    expect(charges.some((c) => c.ref === p.provider_ref), `payment ${p.id} is a real charge`).toBe(true);
  }

  // Exchanges' price differences: every charge is recorded, and either pays for a shipped exchange
  // (exactly what was due, nothing refunded) or goes back in full; every return has ended.
  const returnRows = await all<{ id: string; status: string; payment_id: string | null; exchange_order_id: string | null; amount_due: number }>(
    `SELECT id, status, payment_id, exchange_order_id, amount_due FROM returns WHERE customer_id IN (${marks})`,
    ...customerIds,
  );
  for (const r of returnRows) expect(["refunded", "rejected"], `return ${r.id} ended`).toContain(r.status);
  const returnOfKey = new Map(returnRows.map((r) => [exchangeKeyOf(r.id), r]));
  const differencePayments = (await all<PaymentFacts>("SELECT id, checkout_id, provider_ref, amount, status, order_id FROM payments WHERE provider = ? AND checkout_id LIKE 'exc_%'", world.scenario.mode)).filter((p) => returnOfKey.has(p.checkout_id));
  const differenceRefunds = await all<{ payment_id: string; status: string; amount: number }>(
    `SELECT payment_id, status, amount FROM refunds WHERE payment_id IN (${differencePayments.map(() => "?").join(",") || "''"})`,
    ...differencePayments.map((p) => p.id),
  );
  const differenceCharges = world.scenario.mode === "stripe"
    ? [...world.stripe.intents.values()].filter((i) => i.status === "succeeded" && returnOfKey.has(i.checkoutId)).map((i) => ({ ref: i.id, key: i.checkoutId, amount: i.amount, refunded: world.stripe.refundedOf(i.id) }))
    : testPaymentLedger.charges.filter((c) => returnOfKey.has(c.checkoutId)).map((c) => ({ ref: c.ref, key: c.checkoutId, amount: c.amount, refunded: testPaymentLedger.refunds.filter((r) => r.paymentRef === c.ref).reduce((sum, r) => sum + r.amount, 0) }));
  for (const charge of differenceCharges) {
    const payment = differencePayments.find((p) => p.provider_ref === charge.ref);
    expect(payment, `the shop recorded difference charge ${charge.ref}`).toBeDefined();
    const ret = returnOfKey.get(charge.key)!;
    const kept = ret.payment_id === payment!.id && ret.exchange_order_id !== null && ret.status === "refunded";
    if (kept) {
      expect(charge.amount, `difference ${charge.ref} of return ${ret.id}: what was due`).toBe(ret.amount_due);
      expect(charge.refunded, `difference ${charge.ref} pays for exchange ${ret.exchange_order_id}: nothing refunded`).toBe(0);
    } else {
      expect(charge.refunded, `difference ${charge.ref} of return ${ret.id} (${ret.status}) pays for nothing: refunded in full`).toBe(charge.amount);
      expect(payment!.status).toBe("refunded");
    }
    const claimed = differenceRefunds.filter((r) => r.payment_id === payment!.id).reduce((sum, r) => sum + r.amount, 0);
    expect(claimed, `difference payment ${payment!.id}: refunds ≤ captured`).toBeLessThanOrEqual(payment!.amount);
  }
  for (const p of differencePayments.filter((p) => p.status === "succeeded" || p.status === "refunded")) {
    expect(differenceCharges.some((c) => c.ref === p.provider_ref), `difference payment ${p.id} is a real charge`).toBe(true);
  }

  // Stock: conserved, never oversold; reserved is exactly the live holds.
  for (const v of world.variants) {
    const stub = inventoryStub(v.id);
    const level = await stub.snapshot(v.id);
    const holds = await runInObject(v.id);
    expect(level.reserved, `variant ${v.id}: reserved = live holds`).toBe(holds.filter((h) => h.status === "held").reduce((s, h) => s + h.qty, 0));
    expect(level.onHand).toBeGreaterThanOrEqual(level.reserved);
    const adjusted = (await all<{ d: number | null }>("SELECT SUM(delta) AS d FROM inventory_adjustments WHERE variant_id = ?", v.id))[0]!.d ?? 0;
    const lines = await all<{ quantity: number; status: string; restock: number }>(
      `SELECT i.quantity, o.status, o.restock_on_settle AS restock FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.variant_id = ? AND o.customer_id IN (${marks})`,
      v.id,
      ...customerIds,
    );
    const returnedBack = (await all<{ n: number | null }>(
      `SELECT SUM(l.quantity) AS n FROM return_lines l JOIN returns r ON r.id = l.return_id WHERE l.variant_id = ? AND r.status IN ('received', 'refunded') AND r.restock = 1 AND r.customer_id IN (${marks})`,
      v.id,
      ...customerIds,
    ))[0]!.n ?? 0;
    // Units out: sold on orders that keep them, less what received returns put back on hand.
    const out = lines.filter((l) => !((l.status === "cancelled" || l.status === "refunded") && l.restock)).reduce((s, l) => s + l.quantity, 0) - returnedBack;
    expect(level.onHand, `variant ${v.id}: on hand = initial ${v.initial} + adjustments ${adjusted} − units out ${out}`).toBe(v.initial + adjusted - out);
  }

  // The code: uses counted = orders keeping it ≤ its limit; claims and redemptions agree.
  const usage = (await all<{ usage_count: number }>("SELECT usage_count FROM discounts WHERE id = ?", world.discount.id))[0]!.usage_count;
  const keeping = (await all<{ n: number }>(
    `SELECT COUNT(*) AS n FROM discount_redemptions r JOIN orders o ON o.id = r.order_id WHERE r.discount_id = ? AND r.reversed_at IS NULL AND o.status NOT IN ('cancelled', 'refunded')`,
    world.discount.id,
  ))[0]!.n;
  const claims = (await all<{ n: number }>("SELECT COUNT(*) AS n FROM discount_claims WHERE discount_id = ?", world.discount.id))[0]!.n;
  expect(usage, "uses counted = orders keeping the code").toBe(keeping);
  expect(claims, "claims held = orders keeping the code").toBe(keeping);
  expect(keeping).toBeLessThanOrEqual(world.scenario.codeLimit);

  await checkCardAndReturns(world, orders, checkouts, all, marks, customerIds);

  // Every order has one confirmation email, sent or dead.
  for (const order of orders) {
    const emails = await all<{ status: string }>("SELECT status FROM email_outbox WHERE dedupe_key = ?", `order_confirmation:${order.id}`);
    expect(emails, `order ${order.id}: one confirmation email`).toHaveLength(1);
    expect(["sent", "dead"]).toContain(emails[0]!.status);
  }
}

type Rows = <T>(sql: string, ...args: unknown[]) => Promise<T[]>;

/**
 * The gift card: balance = issued − Σ captured + Σ given back ≥ 0 and nothing held once every
 * checkout ended; each order keeps what its checkout's tender took, less what its returns gave
 * back, and a cancelled or refunded order (or a checkout that never became one) keeps nothing.
 * Returns: every received one ends refunded, its parts add up to its refund, and the returns of
 * an order never refund more than it cost.
 */
async function checkCardAndReturns(world: World, orders: { id: string; checkout_id: string; status: string; total: number }[], checkouts: { id: string; tenders: string }[], all: Rows, marks: string, customerIds: string[]) {
  const { runInDurableObject } = await import("cloudflare:test");
  const ledger = await runInDurableObject(env.GIFT_CARDS.get(env.GIFT_CARDS.idFromName(world.card.id)), (_o, state) => ({
    account: state.storage.sql.exec<{ issued: number; balance: number; held: number }>("SELECT issued, balance, held FROM account").toArray()[0],
    holds: state.storage.sql.exec<{ checkout_id: string; captured: number; returned: number; status: string }>("SELECT checkout_id, captured, returned, status FROM holds").toArray(),
  }));
  const captured = ledger.holds.reduce((s, h) => s + h.captured, 0);
  const returned = ledger.holds.reduce((s, h) => s + h.returned, 0);
  if (ledger.account) {
    expect(ledger.account.issued).toBe(world.card.amount);
    expect(ledger.account.balance, "card: balance = issued − captured + given back").toBe(ledger.account.issued - captured + returned);
    expect(ledger.account.balance).toBeGreaterThanOrEqual(0);
    expect(ledger.account.held, "card: nothing held once every checkout ended").toBe(0);
  }
  const givenBack = await all<{ checkout_id: string; amount: number }>(
    `SELECT checkout_id, SUM(amount) AS amount FROM balance_refunds WHERE account_id = ? AND kind = 'give_back' AND status = 'succeeded' GROUP BY checkout_id`,
    world.card.id,
  );
  for (const c of checkouts) {
    const tender = tendersOf(c).find((t) => t.accountId === world.card.id)?.amount ?? 0;
    const hold = ledger.holds.find((h) => h.checkout_id === c.id);
    const kept = (hold?.captured ?? 0) - (hold?.returned ?? 0);
    const order = orders.find((o) => o.checkout_id === c.id);
    const expected = order && order.status !== "cancelled" && order.status !== "refunded" ? tender - (givenBack.find((g) => g.checkout_id === c.id)?.amount ?? 0) : 0;
    expect(kept, `checkout ${c.id}: the card keeps what its order took, less what went back`).toBe(expected);
  }
  const returns = await all<{ id: string; order_id: string; status: string; refund_amount: number; refund_id: string | null }>(
    `SELECT id, order_id, status, refund_amount, refund_id FROM returns WHERE customer_id IN (${marks})`,
    ...customerIds,
  );
  for (const r of returns) {
    expect(["requested", "approved", "refunded", "rejected"], `return ${r.id} did not stop half-received`).toContain(r.status);
    if (r.status !== "refunded") continue;
    const payment = r.refund_id ? (await all<{ amount: number; status: string }>("SELECT amount, status FROM refunds WHERE id = ?", r.refund_id))[0] : undefined;
    const balances = (await all<{ amount: number; status: string }>("SELECT amount, status FROM balance_refunds WHERE return_id = ?", r.id));
    expect([payment, ...balances].filter(Boolean).every((p) => p!.status === "succeeded")).toBe(true);
    expect((payment?.amount ?? 0) + balances.reduce((s, b) => s + b.amount, 0), `return ${r.id}: its parts add up to its refund`).toBe(r.refund_amount);
  }
  for (const order of orders) {
    const refundedByReturns = returns.filter((r) => r.order_id === order.id && r.status === "refunded").reduce((s, r) => s + r.refund_amount, 0);
    expect(refundedByReturns, `order ${order.id}: returns refund no more than it cost`).toBeLessThanOrEqual(order.total);
  }
}

async function runInObject(variantId: string) {
  const { runInDurableObject } = await import("cloudflare:test");
  return runInDurableObject(inventoryStub(variantId), (_o, state) =>
    state.storage.sql.exec<{ qty: number; status: string }>("SELECT qty, status FROM holds").toArray(),
  );
}

/** What a run amounted to, for `--verbose`: how many orders, refunds and checkouts of each state. */
async function summary(world: World) {
  const ids = world.shoppers.map((s) => s.id);
  const marks = ids.map(() => "?").join(",");
  const states = await env.DB.prepare(`SELECT state, COUNT(*) AS n FROM checkouts WHERE customer_id IN (${marks}) GROUP BY state`).bind(...ids).all();
  const orders = await env.DB.prepare(`SELECT status, COUNT(*) AS n FROM orders WHERE customer_id IN (${marks}) GROUP BY status`).bind(...ids).all();
  const refunds = await env.DB.prepare(`SELECT r.reason, r.status, COUNT(*) AS n FROM refunds r JOIN checkouts c ON c.id = r.checkout_id WHERE c.customer_id IN (${marks}) GROUP BY r.reason, r.status`).bind(...ids).all();
  return { mode: world.scenario.mode, checkouts: states.results, orders: orders.results, refunds: refunds.results };
}

/** One seeded run: set up, interleave the steps under the scheduler, quiesce, check. */
export async function runScenario(scenario: Scenario): Promise<void> {
  const world = new World(scenario);
  const spy = world.stripe.install();
  try {
    await world.setup();
    await runSteps(world);
    await quiesce(world);
    await checkInvariants(world);
    if (env.MODEL_VERBOSE === "true") console.log(JSON.stringify(await summary(world)) + "\n  " + world.log.join("\n  "));
  } catch (err) {
    const report = [`mode=${scenario.mode} stock=${scenario.stock} codeLimit=${scenario.codeLimit}`, ...world.log].join("\n  ");
    if (err instanceof Error) err.message = `${err.message}\n  run log:\n  ${report}`;
    throw err;
  } finally {
    spy.mockRestore();
    world.disarmProvider();
  }
}
