/** The market facts of an order as answers show them: region, and the address and method copied at checkout. */
import type { Address, ChosenShipping } from "./schemas";

type OrderMarketRow = { region_code: string | null; shipping_address: string | null; shipping_method: string | null };

const parse = <T>(json: string | null): T | null => (json ? (JSON.parse(json) as T) : null);

export function orderMarketView(row: OrderMarketRow): { region: string | null; shippingAddress: Address | null; shippingMethod: ChosenShipping | null } {
  const method = parse<ChosenShipping & { tax?: number }>(row.shipping_method);
  return {
    region: row.region_code,
    shippingAddress: parse<Address>(row.shipping_address),
    shippingMethod: method ? { id: method.id, name: method.name, amount: method.amount, estimatedDays: method.estimatedDays } : null,
  };
}
