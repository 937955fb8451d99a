/** Totals as tests compare them: amounts only, and the parts of cart/checkout totals orders do not show. */
export const amounts = (totals: Record<string, { amount: number }>) => Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v.amount]));
/** Totals with nothing paid by gift cards or store credit: the provider charges the whole total. */
export const unpaid = (t: { subtotal: number; discount: number; shipping: number; tax: number; total: number }) => ({ ...t, giftCard: 0, storeCredit: 0, amountDue: t.total });
/** The goods, shipping and tax part of totals (orders show only these). */
export const goods = ({ subtotal, discount, shipping, tax, total }: Record<string, unknown>) => ({ subtotal, discount, shipping, tax, total });
