// Public surface of the pricing engine: pure functions and schemas, no I/O.
export { priceCart, rejectionFor } from "./engine";
export { priceBundle } from "./bundles";
export type { BundleComponent, BundleInput, PricedBundle } from "./bundles";
export { allocateLargestRemainder } from "./allocation";
export { lineTax, shippingCharge } from "./tax";
export { isWithinWindow, resolveUnitPrice, applicablePriceLists } from "./price-lists";
export { normalizeCode } from "./eligibility";
export * from "./schemas";
export * from "./types";
export { categoryAncestry, toDiscountInputs, toPriceListInputs } from "./inputs";
