import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations
import { buildDiscounts, createRng } from "../../scripts/seed-data.mjs";
import { DiscountDefinition } from "../../src/modules/pricing";

type SeedDiscount = { code: string | null; kind: string; value: number; rules: string };

describe("seed discounts", () => {
  it("all pass the engine's DiscountDefinition, so each one can apply in the dev shop", () => {
    const rows = buildDiscounts(createRng(42)) as SeedDiscount[];
    expect(rows.map((r) => r.code)).toEqual(["WELCOME10", "FIVEOFF", null]);
    for (const row of rows) {
      const parsed = DiscountDefinition.safeParse({ kind: row.kind, value: row.value, rules: JSON.parse(row.rules) });
      expect(parsed.success, `${row.code ?? "automatic"}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
  });
});
