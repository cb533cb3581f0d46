/** Order activities: snapshot the cart into an order, confirm it, close it; each writes its event in the same transaction. */
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { checkoutWorkflowId, INVALID_CART, type CheckoutInput } from '../../contract';
import { cartLineRows, cartProblemOf, CartProblemSchema } from '../../db/cart-lines';
import { eventCte, recordEvent } from '../../db/events';
import { parseOneRow } from '../../db/rows';
import { cartLines, carts, inventoryReservations, orderLines, orders } from '../../db/schema';
import type { ActivityDeps } from '../deps';

/** An order's summary (total, currency, line count) as one json object; null when the order does not exist. */
const orderSummaryJson = (orderId: string) => sql`(
  select json_build_object('totalCents', o.total_cents, 'currency', o.currency,
                           'lineCount', (select count(*) from ${orderLines} ol where ol.order_id = o.id))
    from ${orders} o where o.id = ${orderId}::uuid)`;

export interface OrderSummary {
  orderId: string;
  totalCents: number;
  currency: string;
  lineCount: number;
}

const SummaryJson = z.object({ totalCents: z.number(), currency: z.string(), lineCount: z.number() }).nullable();

/** What createOrder's statement answers: a previous run's order, the order it created, or why it created none. */
const CreateOrderRow = z.object({
  existing: SummaryJson,
  created: SummaryJson,
  cartOwner: z.string().nullable(),
  /** Only when no order was created: what the cart rule finds wrong with the cart, if anything. */
  problem: CartProblemSchema,
});

export function createOrderActivities(deps: ActivityDeps) {
  const { db } = deps;

  /** The order as already created (a retried createOrder), with its line count, in one query. */
  const summary = async (orderId: string): Promise<OrderSummary | undefined> => {
    const row = parseOneRow(
      await db.execute(sql`select ${orderSummaryJson(orderId)} as existing`),
      z.object({ existing: SummaryJson }),
    );
    return row.existing ? { orderId, ...row.existing } : undefined;
  };

  return {
    /**
     * Freezes the cart's prices into orders + order_lines; a second run finds the order and returns it. The order, its
     * lines and `order.created` go in one statement (one transaction); ON CONFLICT makes a concurrent retry harmless.
     */
    async createOrder(input: CheckoutInput): Promise<OrderSummary> {
      const { orderId, customerId, request } = input;
      const cartId = sql`${request.cartId}::uuid`;
      // One statement, one round trip: a previous run's order is the answer; otherwise the order, its lines and
      // `order.created` are written only when the cart is ours and passes the cart rule (cartProblemOf: not empty,
      // every product still sold, one currency, a total within bounds). `ok` is one row when it does and none when it does not (HAVING with
      // no GROUP BY), and the inserts read from it.
      const found = parseOneRow(
        await db.execute(sql`
          with existing as (select ${orderSummaryJson(orderId)} as summary),
          cart as (select customer_id::text as owner from ${carts} where id = ${cartId}),
          lines as (${cartLineRows(cartId)}),
          verdict as (select ${cartProblemOf(sql`lines`)} as problem),
          ok as (
            select count(*)::int as n, min(currency) as currency, sum(price_cents::bigint * quantity)::int as total from lines
            having (select summary from existing) is null and (select owner from cart) = ${customerId}::text
               and (select problem from verdict) is null),
          o as (
            insert into ${orders} (id, customer_id, cart_id, email, status, currency, total_cents, shipping_address, idempotency_key, request_hash, workflow_id)
            select ${orderId}, ${customerId}, ${cartId}, ${request.email}, 'pending', ok.currency, ok.total,
                   ${JSON.stringify({ ...request.shippingAddress })}::jsonb, ${input.idempotencyKey}, ${input.requestHash}, ${checkoutWorkflowId(orderId)}
              from ok
            on conflict do nothing
            returning id, currency, total_cents),
          l as (
            insert into ${orderLines} (order_id, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
            select o.id, x.product_id, x.sku, x.name, x.price_cents, x.quantity, x.price_cents * x.quantity
              from o, lines x order by x.product_id),
          ${eventCte('e', { orderId, type: 'order.created', data: sql`(select jsonb_build_object('totalCents', o.total_cents, 'currency', o.currency, 'lines', ok.n) from o, ok)` }, { onlyIf: 'o' })}
          select (select summary from existing) as existing,
                 (select json_build_object('totalCents', o.total_cents, 'currency', o.currency, 'lineCount', ok.n) from o, ok) as created,
                 (select owner from cart) as "cartOwner",
                 case when exists (select 1 from o) then null else (select problem from verdict) end as problem`),
        CreateOrderRow,
      );
      if (found.existing) return { orderId, ...found.existing };
      if (found.created) return { orderId, ...found.created };
      // Nothing written: the cart failed a check (named below, as POST /checkout names it), or a concurrent run of
      // this activity inserted the order first, which is then the answer.
      if (!found.cartOwner || found.cartOwner !== customerId) {
        throw ApplicationFailure.nonRetryable('the cart does not exist or belongs to someone else', INVALID_CART);
      }
      const { problem } = found;
      if (problem?.kind === 'empty') throw ApplicationFailure.nonRetryable('the cart is empty', INVALID_CART);
      if (problem?.kind === 'unavailable') {
        throw ApplicationFailure.nonRetryable(`products no longer sold: ${problem.skus.join(', ')}`, INVALID_CART, {
          skus: problem.skus,
        });
      }
      if (problem?.kind === 'mixed_currencies')
        throw ApplicationFailure.nonRetryable('the cart mixes currencies', INVALID_CART);
      if (problem?.kind === 'total_too_large')
        throw ApplicationFailure.nonRetryable(`the cart total ${problem.totalCents} is above the bound`, INVALID_CART);
      const concurrent = await summary(orderId);
      if (!concurrent) throw new Error(`order ${orderId} was neither created nor found; retrying`);
      return concurrent;
    },

    /**
     * Payment captured: the held stock becomes sold, the order confirmed with `order.confirmed`, and the bought
     * quantities leave the cart (lines added meanwhile, and any extra units, stay; a failed or cancelled checkout
     * leaves the cart as it was, so the customer can try again). One statement, so one transaction.
     */
    async confirmOrder(input: { orderId: string }): Promise<void> {
      const now = deps.clock().toISOString();
      await db.execute(sql`
        with r as (
          update ${inventoryReservations} set status = 'committed', updated_at = ${now}::timestamptz
           where order_id = ${input.orderId} and status = 'held'),
        o as (
          update ${orders} set status = 'confirmed', confirmed_at = ${now}::timestamptz, updated_at = ${now}::timestamptz
           where id = ${input.orderId} and status in ('pending', 'awaiting_payment')
          returning id, cart_id),
        ${eventCte('e', { orderId: input.orderId, type: 'order.confirmed' }, { onlyIf: 'o' })},
        d as (
          delete from ${cartLines} cl using ${orderLines} ol, o
           where ol.order_id = o.id and cl.cart_id = o.cart_id and cl.product_id = ol.product_id and cl.quantity <= ol.quantity),
        u as (
          update ${cartLines} cl set quantity = cl.quantity - ol.quantity from ${orderLines} ol, o
           where ol.order_id = o.id and cl.cart_id = o.cart_id and cl.product_id = ol.product_id and cl.quantity > ol.quantity)
        select id from o`);
    },

    /** Ends an order as failed or cancelled (with the reason); a no-op if the order was never created or already closed. */
    async closeOrder(input: {
      orderId: string;
      status: 'failed' | 'cancelled';
      reason: string;
      refunded?: boolean;
    }): Promise<void> {
      const now = deps.clock();
      await db.transaction(async (tx) => {
        const updated = await tx
          .update(orders)
          .set({ status: input.status, failureReason: input.reason, updatedAt: now })
          .where(
            and(eq(orders.id, input.orderId), inArray(orders.status, ['pending', 'awaiting_payment', 'confirmed'])),
          )
          .returning({ id: orders.id });
        if (!updated.length) return;
        await recordEvent(tx, {
          orderId: input.orderId,
          type: input.status === 'failed' ? 'order.failed' : 'order.cancelled',
          data: { reason: input.reason },
        });
        if (input.refunded)
          await recordEvent(tx, { orderId: input.orderId, type: 'order.refunded', data: { reason: input.reason } });
      });
    },
  };
}
