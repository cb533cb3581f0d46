/** Cart rules that the API (before a checkout starts) and createOrder (inside it) both apply. */

/** The most units one cart line may hold. */
export const MAX_LINE_QUANTITY = 1000;

/**
 * What keeps a cart's lines from becoming an order: no lines, products no longer sold (their SKUs, in product order),
 * or more than one currency. The rule itself is one SQL expression (db/cart-lines.ts), so the check and the order
 * snapshot read the same rows.
 */
export type CartProblem = { kind: 'empty' } | { kind: 'unavailable'; skus: string[] } | { kind: 'mixed_currencies' };
