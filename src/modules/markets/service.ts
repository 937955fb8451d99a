/**
 * Markets. Until regions are stored (issue 14), the shop sells in one implicit region: every
 * price is in the catalog currency carts are created in, and tax inclusion follows config.
 */
import { getConfig } from "../../env";
import type { Region } from "./schemas";

/** The currency every cart is created in today (carts repo) and the seed prices in. */
export const DEFAULT_CURRENCY = "USD";

/** The regions the store sells in. */
export function listRegions(env: Env): Region[] {
  return [{ code: "default", name: "Default", currency: DEFAULT_CURRENCY, countries: [], taxInclusive: getConfig(env).PRICES_INCLUDE_TAX }];
}
