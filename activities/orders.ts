/** Order activities: snapshot the cart into an order, confirm it, close it; each writes its event in the same transaction. */
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, inArray, is, sql, SQL } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/client';
import { cartLines, carts, inventoryReservations, orderEvents, orderLines, orders, products } from '../db/schema';
import { INVALID_CART, type CheckoutInput } from '../workflows/types';
import type { ActivityDeps } from './deps';

/** A transaction handle (drizzle passes the same query API inside db.transaction). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Appends one timeline event. The dedupe key `${orderId}:${type}[:extra]` makes a retried activity write it once.
 */
export async function recordEvent(
  tx: Db | Tx,
  orderId: string,
  type: string,
  data: Record<string, unknown> = {},
  extra?: string,
) {
  await tx
    .insert(orderEvents)
    .values({ orderId, type, data, dedupeKey: extra ? `${orderId}:${type}:${extra}` : `${orderId}:${type}` })
    .onConflictDoNothing();
}

/**
 * recordEvent as a CTE of a larger statement, so the event commits with the change it describes (one statement is
 * one transaction). `data` is an object, or a jsonb expression over the statement's other CTEs. With `onlyIf`, it is
 * written only when that CTE returned a row (the change happened).
 */
export function eventCte(
  name: string,
  orderId: string,
  type: string,
  data: Record<string, unknown> | SQL,
  opts: { extra?: string; onlyIf?: string } = {},
) {
  const dedupeKey = opts.extra ? `${orderId}:${type}:${opts.extra}` : `${orderId}:${type}`;
  const when = opts.onlyIf ? sql`where exists (select 1 from ${sql.identifier(opts.onlyIf)})` : sql``;
  const json = is(data, SQL) ? data : sql`${JSON.stringify(data)}::jsonb`;
  return sql`${sql.identifier(name)} as (
    insert into ${orderEvents} (order_id, type, data, dedupe_key)
    select ${orderId}::uuid, ${type}::text, ${json}, ${dedupeKey}::text ${when}
    on conflict do nothing)`;
}

/** A cart line with what ordering needs of its product, as `cartLinesJson` returns it. */
export interface CartLine {
  productId: string;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  /** Active and not archived. */
  sold: boolean;
  quantity: number;
}

/**
 * The lines of the cart whose id is the SQL expression `cartId`, with what ordering needs of their products, as rows
 * (product_id, sku, name, price_cents, currency, sold, quantity). What counts as sold is decided here alone.
 */
const cartLineRows = (cartId: SQL) => sql`
  select p.id as product_id, p.sku, p.name, p.price_cents, p.currency, p.active and p.archived_at is null as sold, cl.quantity
    from ${cartLines} cl join ${products} p on p.id = cl.product_id
   where cl.cart_id = ${cartId}`;

/** Rows shaped as cartLineRows() gives them (a CTE's name, or a parenthesized query) as CartLine json, in product order; null when none. */
const cartLinesJsonOf = (rows: SQL) => sql`(
  select json_agg(json_build_object('productId', x.product_id, 'sku', x.sku, 'name', x.name, 'priceCents', x.price_cents, 'currency', x.currency,
                                    'sold', x.sold, 'quantity', x.quantity) order by x.product_id)
    from ${rows} x)`;

/** The lines of the cart whose id is the SQL expression `cartId`, with their products: a json array in product order, null when none. */
export const cartLinesJson = (cartId: SQL) => cartLinesJsonOf(sql`(${cartLineRows(cartId)})`);

export type CartProblem = { kind: 'empty' } | { kind: 'unavailable'; skus: string[] } | { kind: 'mixed_currencies' };

/** What keeps a cart's lines from becoming an order: checked by POST /checkout before the workflow, and by createOrder in it. */
export function cartProblem(lines: CartLine[]): CartProblem | undefined {
  if (lines.length === 0) return { kind: 'empty' };
  const unavailable = lines.filter((l) => !l.sold).map((l) => l.sku);
  if (unavailable.length) return { kind: 'unavailable', skus: unavailable };
  if (new Set(lines.map((l) => l.currency)).size > 1) return { kind: 'mixed_currencies' };
  return undefined;
}

/** An order's summary (total, currency, line count) as one json object; null when the order does not exist. */
const orderSummaryJson = (orderId: string) => sql`(
  select json_build_object('totalCents', o.total_cents, 'currency', o.currency,
                           'lineCount', (select count(*) from ${orderLines} ol where ol.order_id = o.id))
    from ${orders} o where o.id = ${orderId}::uuid)`;

/** What createOrder's statement answers: a previous run's order, the order it created, or why it created none. */
interface CreateOrderRow {
  existing: Omit<OrderSummary, 'orderId'> | null;
  created: Omit<OrderSummary, 'orderId'> | null;
  cartOwner: string | null;
  /** Only when no order was created: the cart's lines, for the failure to name what is wrong. */
  lines: CartLine[] | null;
}

export interface OrderSummary {
  orderId: string;
  totalCents: number;
  currency: string;
  lineCount: number;
}

export function createOrderActivities(deps: ActivityDeps) {
  const { db } = deps;

  /** The order as already created (a retried createOrder), with its line count, in one query. */
  const summary = async (orderId: string): Promise<OrderSummary | undefined> => {
    const [row] = rowsOf<Pick<CreateOrderRow, 'existing'>>(
      await db.execute(sql`select ${orderSummaryJson(orderId)} as existing`),
    );
    return row?.existing ? { orderId, ...row.existing } : undefined;
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
      // `order.created` are written only when the cart passes the checks cartProblem() makes (ours, not empty, every
      // product still sold, one currency). `ok` is one row when it does and none when it does not (HAVING with no
      // GROUP BY), and the inserts read from it.
      const [row] = rowsOf<CreateOrderRow>(
        await db.execute(sql`
          with existing as (select ${orderSummaryJson(orderId)} as summary),
          cart as (select customer_id::text as owner from ${carts} where id = ${cartId}),
          lines as (${cartLineRows(cartId)}),
          ok as (
            select count(*)::int as n, min(currency) as currency, sum(price_cents * quantity)::int as total from lines
            having (select summary from existing) is null and (select owner from cart) = ${customerId}::text
               and count(*) > 0 and bool_and(sold) and count(distinct currency) = 1),
          o as (
            insert into ${orders} (id, customer_id, cart_id, email, status, currency, total_cents, shipping_address, idempotency_key, request_hash, workflow_id)
            select ${orderId}, ${customerId}, ${cartId}, ${request.email}, 'pending', ok.currency, ok.total,
                   ${JSON.stringify({ ...request.shippingAddress })}::jsonb, ${input.idempotencyKey}, ${input.requestHash}, ${`order-${orderId}`}
              from ok
            on conflict do nothing
            returning id, currency, total_cents),
          l as (
            insert into ${orderLines} (order_id, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
            select o.id, x.product_id, x.sku, x.name, x.price_cents, x.quantity, x.price_cents * x.quantity
              from o, lines x order by x.product_id),
          ${eventCte('e', orderId, 'order.created', sql`(select jsonb_build_object('totalCents', o.total_cents, 'currency', o.currency, 'lines', ok.n) from o, ok)`, { onlyIf: 'o' })}
          select (select summary from existing) as existing,
                 (select json_build_object('totalCents', o.total_cents, 'currency', o.currency, 'lineCount', ok.n) from o, ok) as created,
                 (select owner from cart) as "cartOwner",
                 case when exists (select 1 from o) then null else ${cartLinesJsonOf(sql`lines`)} end as lines`),
      );
      const found = row!; // one row, always
      if (found.existing) return { orderId, ...found.existing };
      if (found.created) return { orderId, ...found.created };
      // Nothing written: the cart failed a check (named below, as POST /checkout names it), or a concurrent run of
      // this activity inserted the order first, which is then the answer.
      if (!found.cartOwner || found.cartOwner !== customerId) {
        throw ApplicationFailure.nonRetryable('the cart does not exist or belongs to someone else', INVALID_CART);
      }
      const problem = cartProblem(found.lines ?? []);
      if (problem?.kind === 'empty') throw ApplicationFailure.nonRetryable('the cart is empty', INVALID_CART);
      if (problem?.kind === 'unavailable') {
        throw ApplicationFailure.nonRetryable(`products no longer sold: ${problem.skus.join(', ')}`, INVALID_CART, {
          skus: problem.skus,
        });
      }
      if (problem?.kind === 'mixed_currencies')
        throw ApplicationFailure.nonRetryable('the cart mixes currencies', INVALID_CART);
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
        ${eventCte('e', input.orderId, 'order.confirmed', {}, { onlyIf: 'o' })},
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
        await recordEvent(tx, input.orderId, input.status === 'failed' ? 'order.failed' : 'order.cancelled', {
          reason: input.reason,
        });
        if (input.refunded) await recordEvent(tx, input.orderId, 'order.refunded', { reason: input.reason });
      });
    },
  };
}
