/** Cart rules that the API (before a checkout starts) and createOrder (inside it) both apply. */

/** The most units one cart line may hold. */
export const MAX_LINE_QUANTITY = 1000;

/**
 * Money bounds, in minor units. Every amount column is a PostgreSQL integer (at most 2,147,483,647), so what the API
 * accepts stays well below it: a unit price of at most MAX_PRICE_CENTS, and a cart (so an order, its lines, and every
 * payment, capture and refund of it) of at most MAX_CART_TOTAL_CENTS. Adding to a cart past the bound is refused, and
 * a cart that went past it since (a price rose) cannot be checked out.
 */
export const MAX_PRICE_CENTS = 1_000_000_000;
export const MAX_CART_TOTAL_CENTS = 1_000_000_000;

/**
 * What keeps a cart's lines from becoming an order: no lines, products no longer sold (their SKUs, in product order),
 * more than one currency, or a total above MAX_CART_TOTAL_CENTS. The rule itself is one SQL expression (db/cart-lines.ts), so the check and the order
 * snapshot read the same rows.
 */
export type CartProblem =
  | { kind: 'empty' }
  | { kind: 'unavailable'; skus: string[] }
  | { kind: 'mixed_currencies' }
  | { kind: 'total_too_large'; totalCents: number };
