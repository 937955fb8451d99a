/** Ids derived from a return's id (`ret_…`): each is written once, however often a step runs. */

/**
 * The key an exchange's replacements are held and sold under, its price difference is paid under,
 * and its order's checkout id. SQL spells it `'exc_' || substr(id, 5)` (returns/repo.ts).
 */
export const exchangeKeyOf = (returnId: string) => `exc_${returnId.slice(4)}`;
export const exchangeOrderIdOf = (returnId: string) => `ord_${returnId.slice(4)}`;
/** The return an exchange key belongs to; null for any other id (a checkout's). */
export const returnIdOfExchangeKey = (key: string) => (key.startsWith("exc_") ? `ret_${key.slice(4)}` : null);
