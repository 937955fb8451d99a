/**
 * Bindings come from `wrangler types` (worker-configuration.d.ts, `Env`); this module parses the
 * string vars into typed config once per isolate, so bad config fails loudly at the first request.
 */
import { z } from "zod";

const positiveInt = z.coerce.number().int().positive();
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
  RATE_LIMIT_DEFAULT: policy.default({ limit: 100, windowSeconds: 60 }),
  CHECKOUT_TTL_SECONDS: positiveInt.default(900),
  /** "true": catalog prices, price lists and fixed discounts already hold the tax (tax-inclusive). */
  PRICES_INCLUDE_TAX: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  EMAIL_PROVIDER: z.enum(["local", "http"]).default("local"),
  EMAIL_FROM: z.string().default("Edgeshop <orders@edgeshop.local>"),
  EMAIL_API_URL: z.string().url().optional(),
  EMAIL_API_KEY: z.string().optional(),
  PAYMENT_PROVIDER: z.string().default("test"),
  PAYMENT_WEBHOOK_SECRET: z.string().optional(),
  /** Secret key of the Stripe-compatible provider (only when PAYMENT_PROVIDER=stripe). */
  PAYMENT_API_KEY: z.string().optional(),
  SENTRY_DSN: z.string().optional(),
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

let cached: { source: object; config: Config } | undefined;

/** Parses the Worker's vars and secrets; memoized per env object (one per isolate in production). */
export function getConfig(env: Env): Config {
  if (cached?.source === env) return cached.config;
  const config = ConfigSchema.parse(env);
  cached = { source: env, config };
  return config;
}
