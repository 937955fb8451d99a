/** Money is an integer in minor units with an ISO currency code; never a float. */
export type Money = { amount: number; currency: string };

export function money(amount: number, currency = "USD"): Money {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`money amount must be an integer: ${amount}`);
  return { amount, currency };
}
