/**
 * A cart's lines with what ordering needs of their products, and the cart rule over them, in SQL: POST /checkout
 * checks a cart with it before a workflow exists, and createOrder applies it again when it snapshots the cart.
 */
import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { MAX_CART_TOTAL_CENTS, type CartProblem } from '../contract';
import { cartLines, products } from './schema';

/**
 * The lines of the cart whose id is the SQL expression `cartId`, as rows (product_id, sku, name, price_cents,
 * currency, sold, quantity). What counts as sold (active and not archived) is decided here alone.
 */
export const cartLineRows = (cartId: SQL) => sql`
  select p.id as product_id, p.sku, p.name, p.price_cents, p.currency, p.active and p.archived_at is null as sold, cl.quantity
    from ${cartLines} cl join ${products} p on p.id = cl.product_id
   where cl.cart_id = ${cartId}`;

/**
 * The cart rule, as a json value over rows shaped as cartLineRows() gives them (a CTE's name, or a parenthesized
 * query): null when the lines can become an order, else the CartProblem (unavailable SKUs in product order).
 */
export const cartProblemOf = (rows: SQL) => sql`(
  select case when count(*) = 0 then json_build_object('kind', 'empty')
              when not bool_and(x.sold)
                then json_build_object('kind', 'unavailable', 'skus', json_agg(x.sku order by x.product_id) filter (where not x.sold))
              when count(distinct x.currency) > 1 then json_build_object('kind', 'mixed_currencies')
              when sum(x.price_cents::bigint * x.quantity) > ${MAX_CART_TOTAL_CENTS}
                then json_build_object('kind', 'total_too_large', 'totalCents', sum(x.price_cents::bigint * x.quantity))
         end
    from ${rows} x)`;

/** What cartProblemOf() answers, checked. */
export const CartProblemSchema: z.ZodType<CartProblem | null> = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('empty') }),
    z.object({ kind: z.literal('unavailable'), skus: z.array(z.string()) }),
    z.object({ kind: z.literal('mixed_currencies') }),
    z.object({ kind: z.literal('total_too_large'), totalCents: z.number() }),
  ])
  .nullable();
