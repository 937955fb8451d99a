/**
 * The whole Edgeshop data model (DESIGN.md "Data model").
 * Conventions: ids are prefixed sortable strings, money is integer minor units with a currency
 * code, timestamps are epoch milliseconds (integers) in the database and ISO strings in answers.
 */
import { sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import {
  CHECKOUT_STATES,
  ORDER_STATUSES,
  REFUND_STATUSES,
  RETURN_STATUSES,
  DIFFERENCE_STATUSES,
  SHIPPING_KINDS,
  TRANSLATABLE,
  WEBHOOK_DELIVERY_STATUSES,
} from "./enums";

// The value lists live in ./enums (no imports) so that runtime code can use them without pulling
// drizzle into the Worker; they are re-exported here for code that reads the schema.
export * from "./enums";

const timestamps = {
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
};

const versioned = {
  version: integer("version").notNull().default(1),
  deletedAt: integer("deleted_at"),
};

// ── Identity ──────────────────────────────────────────────────────────────────

export const customerGroups = sqliteTable("customer_groups", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  description: text("description"),
  ...timestamps,
});

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    email: text("email").notNull().unique(),
    passwordHash: text("password_hash").notNull(),
    name: text("name").notNull(),
    role: text("role", { enum: ["ADMIN", "CUSTOMER"] }).notNull().default("CUSTOMER"),
    customerGroupId: text("customer_group_id").references(() => customerGroups.id),
    marketingOptIn: integer("marketing_opt_in", { mode: "boolean" }).notNull().default(false),
    ...timestamps,
  },
  (t) => [index("users_group_idx").on(t.customerGroupId)],
);

export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull().references(() => users.id),
    familyId: text("family_id").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
    replacedBy: text("replaced_by"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("refresh_tokens_family_idx").on(t.familyId), index("refresh_tokens_user_idx").on(t.userId)],
);

export const apiKeys = sqliteTable("api_keys", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  keyHash: text("key_hash").notNull().unique(),
  prefix: text("prefix").notNull(),
  scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
  createdBy: text("created_by"),
  lastUsedAt: integer("last_used_at"),
  revokedAt: integer("revoked_at"),
  ...timestamps,
});

export const passwordResets = sqliteTable(
  "password_resets",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull().references(() => users.id),
    tokenHash: text("token_hash").notNull().unique(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("password_resets_user_idx").on(t.userId)],
);

// ── Catalog ───────────────────────────────────────────────────────────────────

export const categories = sqliteTable(
  "categories",
  {
    id: text("id").primaryKey(),
    parentId: text("parent_id"),
    slug: text("slug").notNull().unique(),
    name: text("name").notNull(),
    description: text("description"),
    position: integer("position").notNull().default(0),
    ...versioned,
    ...timestamps,
  },
  (t) => [index("categories_parent_idx").on(t.parentId)],
);

export const collections = sqliteTable("collections", {
  id: text("id").primaryKey(),
  slug: text("slug").notNull().unique(),
  title: text("title").notNull(),
  description: text("description"),
  ...versioned,
  ...timestamps,
});

export const products = sqliteTable(
  "products",
  {
    id: text("id").primaryKey(),
    slug: text("slug").notNull().unique(),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    status: text("status", { enum: ["draft", "active", "archived"] }).notNull().default("draft"),
    categoryId: text("category_id").references(() => categories.id),
    taxRateBps: integer("tax_rate_bps").notNull().default(0),
    /** Looked up with the shipping place in tax_rates; taxRateBps is the rate where no row matches. */
    taxCategory: text("tax_category").notNull().default("standard"),
    /** Denormalized from live variants so price filters and sorts use an index. */
    minPrice: integer("min_price"),
    maxPrice: integer("max_price"),
    currency: text("currency").notNull().default("USD"),
    isBundle: integer("is_bundle", { mode: "boolean" }).notNull().default(false),
    ...versioned,
    ...timestamps,
  },
  (t) => [
    index("products_listing_newest_idx").on(t.status, t.deletedAt, t.createdAt, t.id),
    index("products_listing_price_idx").on(t.status, t.deletedAt, t.minPrice, t.id),
    index("products_category_idx").on(t.categoryId, t.status, t.deletedAt, t.createdAt, t.id),
  ],
);

export const productCollections = sqliteTable(
  "product_collections",
  {
    collectionId: text("collection_id").notNull().references(() => collections.id),
    productId: text("product_id").notNull().references(() => products.id),
    position: integer("position").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.collectionId, t.productId] }),
    index("product_collections_product_idx").on(t.productId),
  ],
);

export const productVariants = sqliteTable(
  "product_variants",
  {
    id: text("id").primaryKey(),
    productId: text("product_id").notNull().references(() => products.id),
    sku: text("sku").notNull().unique(),
    title: text("title").notNull(),
    price: integer("price").notNull(),
    currency: text("currency").notNull().default("USD"),
    options: text("options", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
    position: integer("position").notNull().default(0),
    /** How many InventoryDO objects hold this variant's stock (1; more for a flash sale, set by admins). */
    stockShards: integer("stock_shards").notNull().default(1),
    /** Shipping weight of one unit, for weight-based shipping rates. */
    weightGrams: integer("weight_grams").notNull().default(0),
    /** False for goods nobody ships (downloads, services): a cart of only those needs no address. */
    requiresShipping: integer("requires_shipping", { mode: "boolean" }).notNull().default(true),
    ...versioned,
    ...timestamps,
  },
  (t) => [index("product_variants_product_idx").on(t.productId, t.position)],
);

/**
 * A variant's price in a currency other than its own (product_variants.price/currency): set by
 * admins per currency, never converted at request time. No row = not sold in that currency.
 */
export const variantPrices = sqliteTable(
  "variant_prices",
  {
    variantId: text("variant_id").notNull().references(() => productVariants.id),
    currency: text("currency").notNull(),
    amount: integer("amount").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.variantId, t.currency] })],
);

/**
 * A product's price range in every currency it has a live variant priced in (its variants' own
 * currency and variant_prices), kept in the same batch as every price write. Backs the store's
 * price filters and sorts in each region's currency, and whether a product is listed there.
 */
export const productPrices = sqliteTable(
  "product_prices",
  {
    productId: text("product_id").notNull().references(() => products.id),
    currency: text("currency").notNull(),
    minAmount: integer("min_amount").notNull(),
    maxAmount: integer("max_amount").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.productId, t.currency] }),
    index("product_prices_listing_idx").on(t.currency, t.minAmount, t.productId),
  ],
);

/** A bundle product is made of choice sets; each set offers variants, min..max of them chosen. */
export const bundleSets = sqliteTable(
  "bundle_sets",
  {
    id: text("id").primaryKey(),
    productId: text("product_id").notNull().references(() => products.id),
    name: text("name").notNull(),
    minChoices: integer("min_choices").notNull().default(1),
    maxChoices: integer("max_choices").notNull().default(1),
    position: integer("position").notNull().default(0),
    ...timestamps,
  },
  (t) => [index("bundle_sets_product_idx").on(t.productId)],
);

export const bundleSetItems = sqliteTable(
  "bundle_set_items",
  {
    setId: text("set_id").notNull().references(() => bundleSets.id),
    variantId: text("variant_id").notNull().references(() => productVariants.id),
    quantity: integer("quantity").notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.setId, t.variantId] })],
);

// ── Inventory (read model; InventoryDO is authoritative) ─────────────────────

export const inventoryLevels = sqliteTable(
  "inventory_levels",
  {
    variantId: text("variant_id").primaryKey().references(() => productVariants.id),
    onHand: integer("on_hand").notNull().default(0),
    reserved: integer("reserved").notNull().default(0),
    version: integer("version").notNull().default(0),
    syncedAt: integer("synced_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  // Serves the admin low-stock report without scanning every variant.
  (t) => [index("inventory_levels_available_idx").on(sql`(${t.onHand} - ${t.reserved})`)],
);

/**
 * The level of each object holding a variant's stock (one row for most variants; one per shard
 * for a sharded one). inventory_levels is their sum, written by the same consumer.
 */
export const inventoryShardLevels = sqliteTable(
  "inventory_shard_levels",
  {
    variantId: text("variant_id").notNull(),
    shard: integer("shard").notNull(),
    onHand: integer("on_hand").notNull(),
    reserved: integer("reserved").notNull(),
    version: integer("version").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.variantId, t.shard] })],
);

export const inventoryAdjustments = sqliteTable(
  "inventory_adjustments",
  {
    id: text("id").primaryKey(),
    variantId: text("variant_id").notNull(),
    delta: integer("delta").notNull(),
    onHandAfter: integer("on_hand_after").notNull(),
    reason: text("reason").notNull(),
    actor: text("actor"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("inventory_adjustments_variant_idx").on(t.variantId, t.createdAt),
    // The stock reconcile sweep: adjustments made since a time.
    index("inventory_adjustments_created_idx").on(t.createdAt, t.variantId),
  ],
);

// ── Pricing and promotions ───────────────────────────────────────────────────

export const priceLists = sqliteTable(
  "price_lists",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    currency: text("currency").notNull().default("USD"),
    priority: integer("priority").notNull().default(0),
    startsAt: integer("starts_at"),
    endsAt: integer("ends_at"),
    status: text("status", { enum: ["active", "inactive"] }).notNull().default("active"),
    ...versioned,
    ...timestamps,
  },
  (t) => [index("price_lists_status_idx").on(t.status, t.priority)],
);

export const priceListGroups = sqliteTable(
  "price_list_groups",
  {
    priceListId: text("price_list_id").notNull().references(() => priceLists.id),
    customerGroupId: text("customer_group_id").notNull().references(() => customerGroups.id),
  },
  (t) => [
    primaryKey({ columns: [t.priceListId, t.customerGroupId] }),
    index("price_list_groups_group_idx").on(t.customerGroupId),
  ],
);

export const priceListPrices = sqliteTable(
  "price_list_prices",
  {
    priceListId: text("price_list_id").notNull().references(() => priceLists.id),
    variantId: text("variant_id").notNull().references(() => productVariants.id),
    amount: integer("amount").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.priceListId, t.variantId] }),
    index("price_list_prices_variant_idx").on(t.variantId),
  ],
);

export const discounts = sqliteTable(
  "discounts",
  {
    id: text("id").primaryKey(),
    code: text("code").unique(),
    title: text("title").notNull(),
    kind: text("kind", {
      enum: ["percentage", "fixed", "buy_x_get_y", "tiered", "cart_percentage", "cart_fixed"],
    }).notNull(),
    /** Basis points for percentages, minor units for fixed amounts; rules hold the rest. */
    value: integer("value").notNull().default(0),
    rules: text("rules", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    isAutomatic: integer("is_automatic", { mode: "boolean" }).notNull().default(false),
    priority: integer("priority").notNull().default(0),
    stackable: integer("stackable", { mode: "boolean" }).notNull().default(true),
    startsAt: integer("starts_at"),
    endsAt: integer("ends_at"),
    usageLimit: integer("usage_limit"),
    usageCount: integer("usage_count").notNull().default(0),
    perCustomerLimit: integer("per_customer_limit"),
    status: text("status", { enum: ["active", "inactive"] }).notNull().default("active"),
    ...versioned,
    ...timestamps,
  },
  (t) => [index("discounts_automatic_idx").on(t.isAutomatic, t.status, t.priority)],
);

export const discountRedemptions = sqliteTable(
  "discount_redemptions",
  {
    id: text("id").primaryKey(),
    discountId: text("discount_id").notNull().references(() => discounts.id),
    orderId: text("order_id").notNull(),
    customerId: text("customer_id").notNull(),
    amount: integer("amount").notNull(),
    createdAt: integer("created_at").notNull(),
    /** Set when the order was cancelled or refunded and its use given back; such rows no longer count. */
    reversedAt: integer("reversed_at"),
  },
  (t) => [
    uniqueIndex("discount_redemptions_order_uq").on(t.discountId, t.orderId),
    index("discount_redemptions_customer_idx").on(t.discountId, t.customerId),
  ],
);

/**
 * A use of a discount held by a checkout from just before its charge: counted in usage_count and
 * against the per-customer limit, released when the checkout fails, kept once it is an order.
 */
export const discountClaims = sqliteTable(
  "discount_claims",
  {
    checkoutId: text("checkout_id").notNull(),
    discountId: text("discount_id").notNull().references(() => discounts.id),
    customerId: text("customer_id").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.checkoutId, t.discountId] }),
    index("discount_claims_customer_idx").on(t.discountId, t.customerId),
  ],
);

// ── Cart, checkout, payment, orders ──────────────────────────────────────────

export const carts = sqliteTable(
  "carts",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id").notNull().references(() => users.id),
    status: text("status", { enum: ["active", "converted", "abandoned"] }).notNull().default("active"),
    currency: text("currency").notNull().default("USD"),
    /** The region the cart prices in (null: the store's default region when the cart was made). */
    regionCode: text("region_code"),
    /** A copy of the address the cart ships to (markets/schemas Address), or null. */
    shippingAddress: text("shipping_address", { mode: "json" }).$type<Record<string, unknown>>(),
    shippingMethodId: text("shipping_method_id"),
    discountCodes: text("discount_codes", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Gift cards entered on the cart (by id, with the last four characters shown back); never their codes. */
    giftCards: text("gift_cards", { mode: "json" }).$type<{ id: string; last4: string }[]>().notNull().default([]),
    /** Whether the customer's store credit pays part of this cart. */
    useStoreCredit: integer("use_store_credit", { mode: "boolean" }).notNull().default(false),
    version: integer("version").notNull().default(1),
    ...timestamps,
  },
  (t) => [
    // One active cart per customer, enforced by the database, not by a read-then-insert.
    uniqueIndex("carts_one_active_uq").on(t.customerId).where(sql`status = 'active'`),
    index("carts_status_idx").on(t.status, t.updatedAt),
    index("carts_created_idx").on(t.createdAt),
  ],
);

export const cartItems = sqliteTable(
  "cart_items",
  {
    id: text("id").primaryKey(),
    cartId: text("cart_id").notNull().references(() => carts.id),
    variantId: text("variant_id").notNull().references(() => productVariants.id),
    quantity: integer("quantity").notNull(),
    /** For bundles: the chosen component variants, as [{variantId, quantity}]. */
    bundleSelection: text("bundle_selection", { mode: "json" }).$type<{ variantId: string; quantity: number }[]>(),
    ...timestamps,
  },
  (t) => [uniqueIndex("cart_items_variant_uq").on(t.cartId, t.variantId)],
);

export const checkouts = sqliteTable(
  "checkouts",
  {
    id: text("id").primaryKey(),
    cartId: text("cart_id").notNull().references(() => carts.id),
    customerId: text("customer_id").notNull().references(() => users.id),
    state: text("state", { enum: CHECKOUT_STATES }).notNull().default("CREATED"),
    idempotencyKey: text("idempotency_key").notNull(),
    currency: text("currency").notNull().default("USD"),
    /** Priced snapshot taken when the checkout locked: lines, totals, discounts applied. */
    lines: text("lines", { mode: "json" }).$type<unknown[]>().notNull().default([]),
    totals: text("totals", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    discounts: text("discounts", { mode: "json" }).$type<unknown[]>().notNull().default([]),
    /** Region, locale, shipping address and method as the checkout locked them (markets CheckoutMarket). */
    market: text("market", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    /**
     * Balances (gift cards, store credit) held for this checkout when it locked, as
     * [{accountId, kind, last4, amount}]; the provider charges the total less their sum.
     */
    tenders: text("tenders", { mode: "json" }).$type<unknown[]>().notNull().default([]),
    expiresAt: integer("expires_at").notNull(),
    orderId: text("order_id"),
    paymentId: text("payment_id"),
    failureReason: text("failure_reason"),
    version: integer("version").notNull().default(1),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("checkouts_idempotency_uq").on(t.customerId, t.idempotencyKey),
    index("checkouts_state_idx").on(t.state, t.updatedAt),
    index("checkouts_created_idx").on(t.createdAt),
    index("checkouts_customer_idx").on(t.customerId, t.createdAt),
  ],
);

export const payments = sqliteTable(
  "payments",
  {
    id: text("id").primaryKey(),
    /**
     * What the payment pays for: a checkout's id, or the exchange key (`exc_…`, exchangeKeyOf) of
     * a return whose replacements cost more than what comes back. No foreign key, as it names either.
     */
    checkoutId: text("checkout_id").notNull(),
    orderId: text("order_id"),
    provider: text("provider").notNull(),
    providerRef: text("provider_ref").notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    /** `canceled`: a payment the customer had not confirmed, canceled at the provider once nothing could count it. */
    status: text("status", { enum: ["pending", "succeeded", "failed", "refunded", "canceled"] }).notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("payments_provider_ref_uq").on(t.provider, t.providerRef),
    index("payments_checkout_idx").on(t.checkoutId),
    // The cancel sweep: payments still waiting for the customer's confirmation.
    index("payments_pending_idx").on(t.updatedAt).where(sql`status = 'pending'`),
  ],
);

/**
 * Money going back to a customer, tracked until the provider confirms it. A row is written in the
 * same batch as the state that makes the refund due (a checkout that cannot become an order, a
 * cancelled or refunded order, a payment nobody owns), and the cron sweep retries it with backoff
 * until the provider confirms or it is handed to an admin (`needs_attention`).
 */
export const refunds = sqliteTable(
  "refunds",
  {
    id: text("id").primaryKey(),
    paymentId: text("payment_id").notNull().references(() => payments.id),
    checkoutId: text("checkout_id").notNull(),
    orderId: text("order_id"),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    reason: text("reason").notNull(),
    status: text("status", { enum: REFUND_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** Epoch ms before which no attempt is made (backoff, or a lease while one attempt runs). */
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastError: text("last_error"),
    providerRefundRef: text("provider_refund_ref"),
    /** One refund per business fact, e.g. "payment:<paymentId>" for a full refund. */
    dedupeKey: text("dedupe_key").notNull().unique(),
    succeededAt: integer("succeeded_at"),
    ...timestamps,
  },
  (t) => [
    index("refunds_due_idx").on(t.status, t.nextAttemptAt),
    index("refunds_status_updated_idx").on(t.status, t.updatedAt),
    index("refunds_payment_idx").on(t.paymentId),
    index("refunds_order_idx").on(t.orderId),
    index("refunds_checkout_idx").on(t.checkoutId),
  ],
);

export const orders = sqliteTable(
  "orders",
  {
    id: text("id").primaryKey(),
    orderNumber: text("order_number").notNull().unique(),
    customerId: text("customer_id").notNull().references(() => users.id),
    /** UNIQUE: a checkout can never produce two orders. */
    checkoutId: text("checkout_id").notNull().unique(),
    status: text("status", { enum: ORDER_STATUSES }).notNull().default("pending"),
    currency: text("currency").notNull(),
    subtotal: integer("subtotal").notNull(),
    discountTotal: integer("discount_total").notNull().default(0),
    taxTotal: integer("tax_total").notNull().default(0),
    /** What shipping added to the total (gross in tax-inclusive regions); its tax is in tax_total. */
    shippingTotal: integer("shipping_total").notNull().default(0),
    total: integer("total").notNull(),
    email: text("email").notNull(),
    regionCode: text("region_code"),
    /** The shopper's language at checkout: emails about the order are written in it. */
    locale: text("locale"),
    /** Copies made at checkout: later edits to the address book or the method never change an order. */
    shippingAddress: text("shipping_address", { mode: "json" }).$type<Record<string, unknown>>(),
    shippingMethod: text("shipping_method", { mode: "json" }).$type<Record<string, unknown>>(),
    version: integer("version").notNull().default(1),
    /** For cancelled/refunded orders: whether the stock goes back, and when stock and money were settled. */
    restockOnSettle: integer("restock_on_settle", { mode: "boolean" }).notNull().default(false),
    settledAt: integer("settled_at"),
    ...timestamps,
  },
  (t) => [
    // The cron sweep finds cancellations whose stock or refund was interrupted, without a scan.
    index("orders_unsettled_idx").on(t.updatedAt).where(sql`settled_at IS NULL AND status IN ('cancelled', 'refunded')`),
    // The stock reconcile sweep finds variants restocked by recent cancellations and refunds.
    index("orders_ended_idx").on(t.updatedAt).where(sql`status IN ('cancelled', 'refunded')`),
    index("orders_customer_idx").on(t.customerId, t.createdAt),
    index("orders_status_idx").on(t.status, t.createdAt),
    index("orders_created_idx").on(t.createdAt),
  ],
);

export const orderItems = sqliteTable(
  "order_items",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id").notNull().references(() => orders.id),
    productId: text("product_id").notNull(),
    variantId: text("variant_id").notNull(),
    sku: text("sku").notNull(),
    title: text("title").notNull(),
    quantity: integer("quantity").notNull(),
    unitPrice: integer("unit_price").notNull(),
    discount: integer("discount").notNull().default(0),
    tax: integer("tax").notNull().default(0),
    total: integer("total").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("order_items_order_idx").on(t.orderId), index("order_items_product_idx").on(t.productId)],
);

export const orderEvents = sqliteTable(
  "order_events",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id").notNull().references(() => orders.id),
    status: text("status").notNull(),
    actor: text("actor").notNull(),
    note: text("note"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("order_events_order_idx").on(t.orderId, t.createdAt)],
);

// ── Reviews and recommendations ──────────────────────────────────────────────

export const reviews = sqliteTable(
  "reviews",
  {
    id: text("id").primaryKey(),
    productId: text("product_id").notNull().references(() => products.id),
    customerId: text("customer_id").notNull().references(() => users.id),
    orderId: text("order_id"),
    rating: integer("rating").notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    status: text("status", { enum: ["pending", "approved", "rejected"] }).notNull().default("pending"),
    verifiedPurchase: integer("verified_purchase", { mode: "boolean" }).notNull().default(false),
    moderationNote: text("moderation_note"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("reviews_one_per_customer_uq").on(t.productId, t.customerId),
    index("reviews_product_idx").on(t.productId, t.status, t.createdAt),
    index("reviews_status_idx").on(t.status, t.createdAt),
  ],
);

export const productRatings = sqliteTable("product_ratings", {
  productId: text("product_id").primaryKey().references(() => products.id),
  ratingCount: integer("rating_count").notNull().default(0),
  ratingSum: integer("rating_sum").notNull().default(0),
  updatedAt: integer("updated_at").notNull(),
});

export const productAffinity = sqliteTable(
  "product_affinity",
  {
    productId: text("product_id").notNull(),
    relatedProductId: text("related_product_id").notNull(),
    score: integer("score").notNull().default(0),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.productId, t.relatedProductId] }),
    index("product_affinity_score_idx").on(t.productId, t.score),
  ],
);

// ── Outbox and idempotency ───────────────────────────────────────────────────

export const emailOutbox = sqliteTable(
  "email_outbox",
  {
    id: text("id").primaryKey(),
    template: text("template").notNull(),
    toAddress: text("to_address").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    priority: text("priority", { enum: ["critical", "bulk"] }).notNull().default("critical"),
    status: text("status", { enum: ["pending", "sending", "sent", "dead"] }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** Stops the same business event from producing two emails (e.g. "order_confirmation:<orderId>"). */
    dedupeKey: text("dedupe_key").unique(),
    requestId: text("request_id"),
    sentAt: integer("sent_at"),
    /**
     * When the queue will deliver this row's retry (set when a send fails and is retried with a
     * delay; null while its first message is in flight). The stuck-outbox sweep waits for it.
     */
    nextAttemptAt: integer("next_attempt_at"),
    ...timestamps,
  },
  (t) => [
    index("email_outbox_status_idx").on(t.status, t.updatedAt),
    // The stuck-outbox sweep: pending rows whose first message is overdue, and retries overdue.
    index("email_outbox_first_send_idx").on(t.updatedAt).where(sql`status = 'pending' AND next_attempt_at IS NULL`),
    index("email_outbox_retry_due_idx").on(t.nextAttemptAt).where(sql`status = 'pending' AND next_attempt_at IS NOT NULL`),
  ],
);

/**
 * Queue messages that exhausted their retries and have no row of their own to end in (campaign
 * pages, order events): kept so nothing is lost, listed for admins and replayable onto `queue`.
 */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    /** The queue the message failed on, and the one a replay sends it to. */
    queue: text("queue").notNull(),
    /** The Queues message id: a redelivered dead letter is recorded once. */
    messageId: text("message_id").notNull(),
    /** The message body as sent (JSON); null for a message that had none. */
    body: text("body", { mode: "json" }).$type<unknown>(),
    reason: text("reason").notNull(),
    createdAt: integer("created_at").notNull(),
    replayedAt: integer("replayed_at"),
  },
  (t) => [
    uniqueIndex("dead_letters_message_uq").on(t.queue, t.messageId),
    // The admin list, newest first: all queues, or one.
    index("dead_letters_created_idx").on(t.createdAt, t.id),
    index("dead_letters_queue_idx").on(t.queue, t.createdAt, t.id),
  ],
);

export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    statusCode: integer("status_code"),
    responseBody: text("response_body"),
    /**
     * What the claiming request is making (a checkout's id), named before it is written: a retry
     * that takes over an abandoned claim makes the same thing, so holds taken under that id are
     * its own again rather than left to lapse beside new ones.
     */
    resourceId: text("resource_id"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index("idempotency_keys_expiry_idx").on(t.expiresAt)],
);

/**
 * Which consumer already applied which event: consumers whose effect is not naturally idempotent
 * (counters, scores) write their receipt in the same batch as the effect, guarded by NOT EXISTS.
 */
export const eventReceipts = sqliteTable("event_receipts", {
  consumer: text("consumer").notNull(),
  eventKey: text("event_key").notNull(),
  createdAt: integer("created_at").notNull(),
}, (t) => [primaryKey({ columns: [t.consumer, t.eventKey] })]);

// ── Outbound webhooks ────────────────────────────────────────────────────────

/** A receiver of outbound webhooks. The secret signs deliveries (Standard Webhooks) and is shown once. */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    url: text("url").notNull(),
    description: text("description"),
    events: text("events", { mode: "json" }).$type<string[]>().notNull(),
    status: text("status", { enum: ["enabled", "disabled"] }).notNull().default("enabled"),
    secret: text("secret").notNull(),
    /** After a rotation the old secret still signs (beside the new one) until it expires. */
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    /** First failure since the last success; the endpoint is disabled once this is old enough. */
    failingSince: integer("failing_since"),
    disabledReason: text("disabled_reason"),
    disabledAt: integer("disabled_at"),
    version: integer("version").notNull().default(1),
    ...timestamps,
  },
  (t) => [index("webhook_endpoints_status_idx").on(t.status)],
);

/**
 * The webhook outbox: an event row is written in the same batch as the change that causes it and
 * fanned out later (dispatched_at set) into one delivery per subscribed endpoint.
 */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** One event per business fact (e.g. "order.placed:<orderId>"), however often its batch runs. */
    dedupeKey: text("dedupe_key").unique(),
    requestId: text("request_id"),
    /** A fan-out in progress holds the event until then; an expired lease lets the sweep take it. */
    leaseUntil: integer("lease_until"),
    dispatchedAt: integer("dispatched_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("webhook_events_pending_idx").on(t.createdAt).where(sql`dispatched_at IS NULL`),
    index("webhook_events_created_idx").on(t.createdAt),
  ],
);

/** One event to one endpoint: attempted until a 2xx, retried with growing delays, dead after the last. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    endpointId: text("endpoint_id").notNull(),
    eventId: text("event_id").notNull(),
    status: text("status", { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    nextAttemptAt: integer("next_attempt_at"),
    /** Held by one sender at a time; a sender silent past this time loses it. */
    lockedUntil: integer("locked_until"),
    deliveredAt: integer("delivered_at"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("webhook_deliveries_endpoint_event_uq").on(t.endpointId, t.eventId),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.createdAt, t.id),
    index("webhook_deliveries_endpoint_status_idx").on(t.endpointId, t.status, t.createdAt, t.id),
    index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
    index("webhook_deliveries_event_idx").on(t.eventId),
  ],
);

// ── Markets: regions, tax, shipping, addresses, translations ─────────────────

/** Where the shop sells: one currency, the countries in it, and whether its prices include tax. */
export const regions = sqliteTable(
  "regions",
  {
    code: text("code").primaryKey(),
    name: text("name").notNull(),
    currency: text("currency").notNull(),
    countries: text("countries", { mode: "json" }).$type<string[]>().notNull().default([]),
    taxInclusive: integer("tax_inclusive", { mode: "boolean" }).notNull().default(false),
    /** Exactly one region is the default (a partial unique index); requests from elsewhere use it. */
    isDefault: integer("is_default", { mode: "boolean" }).notNull().default(false),
    position: integer("position").notNull().default(0),
    version: integer("version").notNull().default(1),
    ...timestamps,
  },
  (t) => [uniqueIndex("regions_one_default_uq").on(t.isDefault).where(sql`is_default = 1`)],
);

/**
 * Tax rates by place and tax category. province_code '' is the whole country; a province row
 * wins over it. The category "shipping" taxes shipping charges in that place.
 */
export const taxRates = sqliteTable(
  "tax_rates",
  {
    id: text("id").primaryKey(),
    countryCode: text("country_code").notNull(),
    provinceCode: text("province_code").notNull().default(""),
    taxCategory: text("tax_category").notNull().default("standard"),
    rateBps: integer("rate_bps").notNull(),
    name: text("name").notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex("tax_rates_place_uq").on(t.countryCode, t.provinceCode, t.taxCategory)],
);

/** A way to ship in one region: a flat amount or a weight table, optionally free over a threshold. */
export const shippingMethods = sqliteTable(
  "shipping_methods",
  {
    id: text("id").primaryKey(),
    regionCode: text("region_code").notNull(),
    name: text("name").notNull(),
    kind: text("kind", { enum: SHIPPING_KINDS }).notNull().default("flat"),
    /** Minor units of the region's currency (flat kind). */
    amount: integer("amount").notNull().default(0),
    /** Weight kind: [{maxGrams, amount}] ascending; a cart heavier than the last cannot use it. */
    weightRates: text("weight_rates", { mode: "json" }).$type<{ maxGrams: number; amount: number }[]>().notNull().default([]),
    /** Free when the cart's goods (after discounts) reach this amount; null = never free. */
    freeOver: integer("free_over"),
    estimatedDays: integer("estimated_days"),
    /** Restricts the method to some of the region's countries; empty = all of them. */
    countries: text("countries", { mode: "json" }).$type<string[]>().notNull().default([]),
    status: text("status", { enum: ["active", "inactive"] }).notNull().default("active"),
    position: integer("position").notNull().default(0),
    ...timestamps,
  },
  (t) => [index("shipping_methods_region_idx").on(t.regionCode, t.position)],
);

/** A customer's address book. */
export const addresses = sqliteTable(
  "addresses",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id").notNull().references(() => users.id),
    firstName: text("first_name").notNull(),
    lastName: text("last_name").notNull(),
    line1: text("line1").notNull(),
    line2: text("line2"),
    city: text("city").notNull(),
    postalCode: text("postal_code").notNull(),
    province: text("province"),
    countryCode: text("country_code").notNull(),
    phone: text("phone"),
    ...timestamps,
  },
  (t) => [index("addresses_customer_idx").on(t.customerId, t.createdAt)],
);

/** Titles and descriptions per locale; the catalog falls back to the row's own text. */
export const translations = sqliteTable(
  "translations",
  {
    entityType: text("entity_type", { enum: TRANSLATABLE }).notNull(),
    entityId: text("entity_id").notNull(),
    locale: text("locale").notNull(),
    title: text("title").notNull(),
    description: text("description"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.entityType, t.entityId, t.locale] })],
);

// ── After the purchase: returns, gift cards, store credit, wishlists ─────────

/**
 * A return (RMA) of some units of one order. Its refund is fixed when the goods are received and
 * paid back to where the money came from (the provider payment, then the gift cards and store
 * credit that paid) or, when asked, as store credit; `refunded` once every part is confirmed.
 */
export const returns = sqliteTable(
  "returns",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id").notNull().references(() => orders.id),
    customerId: text("customer_id").notNull().references(() => users.id),
    status: text("status", { enum: RETURN_STATUSES }).notNull().default("requested"),
    currency: text("currency").notNull(),
    /** What the returned units cost the customer (lines after discounts, with tax), plus shipping when the whole order comes back. */
    returnedAmount: integer("returned_amount").notNull().default(0),
    shippingAmount: integer("shipping_amount").notNull().default(0),
    /** The replacement variants of an exchange and what they are worth today: [{variantId, sku, title, quantity, amount}]. */
    exchangeItems: text("exchange_items", { mode: "json" }).$type<unknown[]>().notNull().default([]),
    exchangeAmount: integer("exchange_amount").notNull().default(0),
    /** returnedAmount − exchangeAmount (never negative): the money that goes back. */
    refundAmount: integer("refund_amount").notNull().default(0),
    refundTo: text("refund_to", { enum: ["original", "store_credit"] }).notNull().default("original"),
    restock: integer("restock", { mode: "boolean" }),
    /** The provider refund of this return, when part of it goes back to the card. */
    refundId: text("refund_id"),
    /**
     * What the customer pays on top when the replacements cost more than what comes back
     * (exchangeAmount − returnedAmount; 0 otherwise); the return is approved only once it is paid.
     */
    amountDue: integer("amount_due").notNull().default(0),
    /** The price difference's payment: none, due, paying (an attempt or a customer confirmation in progress), paid. */
    differenceStatus: text("difference_status", { enum: DIFFERENCE_STATUSES }).notNull().default("none"),
    /** Counts payment attempts of the difference: each attempt's key, so a retry after a decline is a new charge and a repeat is not. */
    paymentAttempts: integer("payment_attempts").notNull().default(0),
    /** The captured difference payment, once paid. */
    paymentId: text("payment_id"),
    exchangeOrderId: text("exchange_order_id"),
    note: text("note"),
    approvedAt: integer("approved_at"),
    receivedAt: integer("received_at"),
    refundedAt: integer("refunded_at"),
    rejectedAt: integer("rejected_at"),
    version: integer("version").notNull().default(1),
    ...timestamps,
  },
  (t) => [
    index("returns_customer_idx").on(t.customerId, t.createdAt, t.id),
    index("returns_status_idx").on(t.status, t.createdAt, t.id),
    index("returns_order_idx").on(t.orderId),
    index("returns_created_idx").on(t.createdAt, t.id),
    // The settlement sweep: received returns not yet refunded, least recently touched first.
    index("returns_received_idx").on(t.updatedAt).where(sql`status = 'received'`),
    // The stock reconcile sweep: variants restocked by recently received returns.
    index("returns_received_at_idx").on(t.receivedAt),
    // The difference sweep: payments of price differences whose outcome nobody recorded yet.
    index("returns_paying_idx").on(t.updatedAt).where(sql`difference_status = 'paying'`),
    // A confirmed refund finds the return it pays (its own refund, or the difference payment it gives back).
    index("returns_refund_idx").on(t.refundId),
    index("returns_payment_idx").on(t.paymentId),
  ],
);

export const returnLines = sqliteTable(
  "return_lines",
  {
    id: text("id").primaryKey(),
    /** No foreign key on purpose: a request writes its lines first and its return only if every line fit. */
    returnId: text("return_id").notNull(),
    orderId: text("order_id").notNull(),
    variantId: text("variant_id").notNull(),
    quantity: integer("quantity").notNull(),
    /** What these units cost: their share of the line's total (after discounts, with tax). */
    amount: integer("amount").notNull(),
    tax: integer("tax").notNull().default(0),
    reason: text("reason"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("return_lines_return_idx").on(t.returnId), index("return_lines_order_idx").on(t.orderId, t.variantId)],
);

/** A gift card: its code is shown once and stored only as a hash; the balance lives in its GiftCardDO. */
export const giftCards = sqliteTable(
  "gift_cards",
  {
    id: text("id").primaryKey(),
    codeHash: text("code_hash").notNull().unique(),
    last4: text("last4").notNull(),
    currency: text("currency").notNull(),
    initialAmount: integer("initial_amount").notNull(),
    expiresAt: integer("expires_at"),
    createdBy: text("created_by"),
    note: text("note"),
    ...timestamps,
  },
  (t) => [index("gift_cards_created_idx").on(t.createdAt, t.id)],
);

/** Store credit put on a customer's account (admin grants, refunds paid as credit); the balance lives in a GiftCardDO. */
export const storeCreditEntries = sqliteTable(
  "store_credit_entries",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id").notNull().references(() => users.id),
    currency: text("currency").notNull(),
    amount: integer("amount").notNull(),
    kind: text("kind", { enum: ["grant", "refund"] }).notNull(),
    reference: text("reference"),
    actor: text("actor"),
    note: text("note"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("store_credit_entries_customer_idx").on(t.customerId, t.createdAt, t.id)],
);

/**
 * Money going back to a balance (a gift card or store credit) for a return: written in the same
 * batch as the receipt, applied to the balance's object by its key, and `succeeded` once applied.
 */
export const balanceRefunds = sqliteTable(
  "balance_refunds",
  {
    id: text("id").primaryKey(),
    returnId: text("return_id").notNull(),
    accountId: text("account_id").notNull(),
    /** `give_back`: to a gift card or store credit that paid the order; `credit`: new store credit. */
    kind: text("kind", { enum: ["give_back", "credit"] }).notNull(),
    checkoutId: text("checkout_id").notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: ["pending", "succeeded"] }).notNull().default("pending"),
    ...timestamps,
  },
  (t) => [uniqueIndex("balance_refunds_return_account_uq").on(t.returnId, t.accountId), index("balance_refunds_checkout_idx").on(t.checkoutId)],
);

export const wishlistItems = sqliteTable(
  "wishlist_items",
  {
    customerId: text("customer_id").notNull().references(() => users.id),
    variantId: text("variant_id").notNull().references(() => productVariants.id),
    productId: text("product_id").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.variantId] }),
    index("wishlist_items_customer_idx").on(t.customerId, t.createdAt),
    // The most-wished report counts per product.
    index("wishlist_items_product_idx").on(t.productId),
  ],
);
