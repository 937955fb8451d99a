import * as z from "zod";

export const InventoryLevel = z
  .object({ variantId: z.string(), onHand: z.number().int(), reserved: z.number().int(), available: z.number().int() })
  .openapi("InventoryLevel");

export const AdjustInventoryBody = z
  .object({
    delta: z.number().int().min(-1_000_000).max(1_000_000).refine((d) => d !== 0, "delta must not be 0").openapi({ not: { const: 0 }, description: "Change of on-hand stock; never 0" }),
    reason: z.string().trim().min(1).max(200),
  })
  .strict();
export type AdjustInventoryBody = z.infer<typeof AdjustInventoryBody>;

export const SetInventoryBody = z.object({ onHand: z.number().int().min(0).max(1_000_000_000) }).strict();

export const VariantParam = z.object({ variantId: z.string().min(1).max(64) });

/** Optional on admin stock writes: a retry with the same key is applied once (the same key with another body: 422). */
export const StockChangeHeaders = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: "Client-chosen key; a retried request with the same key and body is applied once and answers the first outcome" }),
});

export const SetShardsBody = z
  .object({ count: z.number().int().min(1).max(16).openapi({ description: "How many objects hold the variant's stock; 1 = one object (no sharding)" }) })
  .strict();

export const ShardedLevel = InventoryLevel.extend({ shards: z.number().int() }).openapi("ShardedInventoryLevel");
