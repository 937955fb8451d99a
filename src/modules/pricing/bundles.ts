import { allocateLargestRemainder } from "./allocation";
import { assertAmount, mulExact, sumExact } from "./int-math";

export type BundleComponent = { variantId: string; unitPrice: number; quantity: number };

export type BundleInput = {
  /** The bundle's own price when set (the bundle variant's price); null = sum of components. */
  fixedPrice: number | null;
  /** The chosen components with their (already price-listed) unit prices. */
  components: BundleComponent[];
};

export type PricedBundle = {
  mode: "fixed" | "computed";
  unitPrice: number;
  /** Σ component unitPrice × quantity, for "you save" displays. */
  componentsTotal: number;
  /** The bundle price split across components in proportion to their value (largest remainder). */
  shares: { variantId: string; amount: number }[];
};

/** Prices one bundle unit: its set price, or the sum of its components when it has none. */
export function priceBundle(input: BundleInput): PricedBundle {
  for (const c of input.components) {
    assertAmount(c.unitPrice, `unitPrice of ${c.variantId}`);
    assertAmount(c.quantity, `quantity of ${c.variantId}`);
  }
  const values = input.components.map((c) => mulExact(c.unitPrice, c.quantity));
  const componentsTotal = sumExact(values);
  const mode = input.fixedPrice === null ? "computed" : "fixed";
  const unitPrice = input.fixedPrice ?? componentsTotal;
  assertAmount(unitPrice, "bundle price");
  // With components worth nothing, split the price evenly by quantity instead.
  const weights = componentsTotal > 0 ? values : input.components.map((c) => c.quantity);
  const canSplit = weights.some((w) => w > 0);
  const amounts = canSplit ? allocateLargestRemainder(unitPrice, weights) : input.components.map(() => 0);
  if (!canSplit && unitPrice > 0) throw new RangeError("a priced bundle needs at least one component");
  return {
    mode,
    unitPrice,
    componentsTotal,
    shares: input.components.map((c, i) => ({ variantId: c.variantId, amount: amounts[i]! })),
  };
}
