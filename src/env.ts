/**
 * Bindings come from `wrangler types` (worker-configuration.d.ts, `Env`); this module parses the
 * string vars into typed config once per isolate, so bad config fails loudly at the first request.
 */
import * as z from "zod";

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
/** A rate-limit policy written as "limit/windowSeconds", e.g. "300/60". */
const policy = z
  .string()
  .regex(/^\d+\/\d+$/, "expected limit/windowSeconds")
  .transform((s) => {
    const [limit, windowSeconds] = s.split("/").map(Number) as [number, number];
    return { limit, windowSeconds };
  });

const ConfigSchema = z.object({
  ENVIRONMENT: z.string().default("development"),
  JWT_SECRET: z.string().min(32, "JWT_SECRET must be at least 32 characters"),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt.default(900),
  REFRESH_TOKEN_TTL_SECONDS: positiveInt.default(2_592_000),
  BODY_LIMIT_BYTES: positiveInt.default(65_536),
  CORS_ORIGINS: z.string().default("*"),
  CACHE_MODE: z.enum(["none", "memory", "kv", "tiered"]).default("tiered"),
  RATE_LIMIT_ENABLED: z.enum(["true", "false"]).default("true").transform((v) => v === "true"),
  /** How long a request waits for the limiter before passing anyway (fail open). */
  RATE_LIMIT_TIMEOUT_MS: positiveInt.default(100),
  RATE_LIMIT_MULTIPLIER: z.coerce.number().positive().default(1),
  RATE_LIMIT_STORE_READ: policy.default({ limit: 300, windowSeconds: 60 }),
  RATE_LIMIT_AUTH: policy.default({ limit: 10, windowSeconds: 60 }),
  RATE_LIMIT_LOGIN_EMAIL: policy.default({ limit: 5, windowSeconds: 60 }),
  RATE_LIMIT_CART: policy.default({ limit: 120, windowSeconds: 60 }),
  RATE_LIMIT_CHECKOUT: policy.default({ limit: 30, windowSeconds: 60 }),
  RATE_LIMIT_ADMIN: policy.default({ limit: 600, windowSeconds: 60 }),
  /** Signed provider webhooks (few sender addresses, bursts during a sale): high on purpose. */
  RATE_LIMIT_WEBHOOK: policy.default({ limit: 3000, windowSeconds: 60 }),
  RATE_LIMIT_DEFAULT: policy.default({ limit: 100, windowSeconds: 60 }),
  /** Gift-card code lookups and entries per IP: low, so codes cannot be guessed. */
  RATE_LIMIT_GIFT_CARD: policy.default({ limit: 10, windowSeconds: 60 }),
  CHECKOUT_TTL_SECONDS: positiveInt.default(900),
  /**
   * The languages the store answers in, comma-separated; the first is the default (the language
   * of the catalog's own text). Translations in other locales are stored but not served.
   */
  LOCALES: z
    .string()
    .default("en,de,fr")
    .transform((s) => s.split(",").map((l) => l.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/)).min(1)),
  /** How long after delivery a customer may ask to return units. */
  RETURN_WINDOW_DAYS: positiveInt.default(30),
  /** How long the replacement of an approved exchange stays reserved while the goods come back. */
  EXCHANGE_HOLD_DAYS: positiveInt.default(30),
  /** A dearer exchange's price difference below this (minor units) is waived: providers refuse tiny charges (Stripe: about 50 cents). */
  EXCHANGE_MIN_CHARGE: nonNegativeInt.default(50),
  /** Tax inclusion of the implicit default region, used while no region is configured. */
  PRICES_INCLUDE_TAX: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  EMAIL_PROVIDER: z.enum(["local", "http"]).default("local"),
  EMAIL_FROM: z.string().default("Edgeshop <orders@edgeshop.local>"),
  EMAIL_API_URL: z.string().url().optional(),
  EMAIL_API_KEY: z.string().optional(),
  /** Chosen by the server, never by the client; `test` only where ENVIRONMENT is development or test. */
  PAYMENT_PROVIDER: z.string().default("test"),
  PAYMENT_WEBHOOK_SECRET: z.string().optional(),
  /** Secret key of the Stripe-compatible provider (only when PAYMENT_PROVIDER=stripe). */
  PAYMENT_API_KEY: z.string().optional(),
  /** Base URL of the Stripe-compatible API (a staging mock, say); Stripe's own by default. */
  PAYMENT_API_URL: z.string().url().optional(),
  SENTRY_DSN: z.string().optional(),
  /** Benchmarks only: answer each request's sequential D1 round trips in X-D1-Trips. */
  D1_TRIPS_HEADER: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  /** How long one webhook delivery may take before it counts as failed. */
  WEBHOOK_TIMEOUT_MS: positiveInt.default(10_000),
  /** An endpoint failing (no success) for this long is disabled and the admins are emailed. */
  WEBHOOK_DISABLE_AFTER_SECONDS: positiveInt.default(432_000),
  /** After a secret rotation the old secret keeps signing, beside the new one, for this long. */
  WEBHOOK_SECRET_GRACE_SECONDS: z.coerce.number().int().min(0).default(86_400),
  /** "true" only for local development: lets endpoints use http://localhost (never in production). */
  WEBHOOK_ALLOW_LOCALHOST: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  /** inventory.low_stock fires when a variant's available stock drops below this. */
  LOW_STOCK_THRESHOLD: z.coerce.number().int().min(0).default(5),
  /** The GraphQL explorer at GET /graphql: on, read-only (queries only) or off. Unset: on in development and tests, off elsewhere. */
  GRAPHQL_EXPLORER: z.enum(["on", "read-only", "off"]).optional(),
});

export type Config = z.infer<typeof ConfigSchema>;
export type RateLimitPolicy = { limit: number; windowSeconds: number };

export type ExplorerMode = "on" | "read-only" | "off";

/** Whether and how GET /graphql serves the explorer to a browser. */
export function explorerMode(config: Config): ExplorerMode {
  return config.GRAPHQL_EXPLORER ?? (config.ENVIRONMENT === "development" || config.ENVIRONMENT === "test" ? "on" : "off");
}

const parsed = new WeakMap<object, Config>();

/** Parses the Worker's vars and secrets; memoized per env object (one per isolate in production). */
export function getConfig(env: Env): Config {
  let config = parsed.get(env);
  if (!config) parsed.set(env, (config = ConfigSchema.parse(env)));
  return config;
}
