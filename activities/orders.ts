/** Order activities: snapshot the cart into an order, confirm it, close it; each writes its event in the same transaction. */
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cartLines, carts, inventoryReservations, orderEvents, orderLines, orders, products } from '../db/schema';
import { INVALID_CART, type CheckoutInput } from '../workflows/types';
import type { ActivityDeps } from './deps';

/** A transaction handle (drizzle passes the same query API inside db.transaction). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Appends one timeline event. The dedupe key `${orderId}:${type}[:extra]` makes a retried activity write it once.
 */
export async function recordEvent(tx: Db | Tx, orderId: string, type: string, data: Record<string, unknown> = {}, extra?: string) {
  await tx
    .insert(orderEvents)
    .values({ orderId, type, data, dedupeKey: extra ? `${orderId}:${type}:${extra}` : `${orderId}:${type}` })
    .onConflictDoNothing();
}

/**
 * The bought quantities leave the cart with the confirmation; lines added meanwhile, and any extra units, stay.
 * A failed or cancelled checkout leaves the cart as it was, so the customer can try again.
 */
async function consumeCartLines(tx: Tx, orderId: string): Promise<void> {
  await tx.execute(sql`
    delete from ${cartLines} cl using ${orderLines} ol, ${orders} o
     where o.id = ${orderId} and ol.order_id = o.id and cl.cart_id = o.cart_id
       and cl.product_id = ol.product_id and cl.quantity <= ol.quantity`);
  await tx.execute(sql`
    update ${cartLines} cl set quantity = cl.quantity - ol.quantity
      from ${orderLines} ol, ${orders} o
     where o.id = ${orderId} and ol.order_id = o.id and cl.cart_id = o.cart_id and cl.product_id = ol.product_id`);
}

export interface OrderSummary {
  orderId: string;
  totalCents: number;
  currency: string;
  lineCount: number;
}

export function createOrderActivities(deps: ActivityDeps) {
  const { db } = deps;

  const summary = async (tx: Db | Tx, orderId: string): Promise<OrderSummary | undefined> => {
    const [row] = await tx.select().from(orders).where(eq(orders.id, orderId));
    if (!row) return undefined;
    const lines = await tx.select({ productId: orderLines.productId }).from(orderLines).where(eq(orderLines.orderId, orderId));
    return { orderId, totalCents: row.totalCents, currency: row.currency, lineCount: lines.length };
  };

  return {
    /** Freezes the cart's prices into orders + order_lines; a second run finds the order and returns it. */
    async createOrder(input: CheckoutInput): Promise<OrderSummary> {
      return db.transaction(async (tx) => {
        const existing = await summary(tx, input.orderId);
        if (existing) return existing;
        const [cart] = await tx.select().from(carts).where(eq(carts.id, input.request.cartId));
        if (!cart || cart.customerId !== input.customerId) {
          throw ApplicationFailure.nonRetryable('the cart does not exist or belongs to someone else', INVALID_CART);
        }
        const rows = await tx
          .select({ line: cartLines, product: products })
          .from(cartLines)
          .innerJoin(products, eq(products.id, cartLines.productId))
          .where(eq(cartLines.cartId, cart.id))
          .orderBy(asc(cartLines.productId));
        if (rows.length === 0) throw ApplicationFailure.nonRetryable('the cart is empty', INVALID_CART);
        const unavailable = rows.filter((r) => !r.product.active || r.product.archivedAt).map((r) => r.product.sku);
        if (unavailable.length) {
          throw ApplicationFailure.nonRetryable(`products no longer sold: ${unavailable.join(', ')}`, INVALID_CART, { skus: unavailable });
        }
        const currencies = new Set(rows.map((r) => r.product.currency));
        if (currencies.size !== 1) throw ApplicationFailure.nonRetryable('the cart mixes currencies', INVALID_CART);
        const currency = rows[0]!.product.currency;
        const lines = rows.map(({ line, product }) => ({
          orderId: input.orderId,
          productId: product.id,
          sku: product.sku,
          name: product.name,
          unitPriceCents: product.priceCents,
          quantity: line.quantity,
          lineTotalCents: product.priceCents * line.quantity,
        }));
        const totalCents = lines.reduce((sum, l) => sum + l.lineTotalCents, 0);
        const inserted = await tx
          .insert(orders)
          .values({
            id: input.orderId,
            customerId: input.customerId,
            cartId: cart.id,
            email: input.request.email,
            status: 'pending',
            currency,
            totalCents,
            shippingAddress: { ...input.request.shippingAddress },
            idempotencyKey: input.idempotencyKey,
            requestHash: input.requestHash,
            workflowId: `order-${input.orderId}`,
          })
          .onConflictDoNothing()
          .returning({ id: orders.id });
        if (inserted.length === 0) return (await summary(tx, input.orderId))!;
        await tx.insert(orderLines).values(lines);
        await recordEvent(tx, input.orderId, 'order.created', { totalCents, currency, lines: lines.length });
        return { orderId: input.orderId, totalCents, currency, lineCount: lines.length };
      });
    },

    /** Payment captured: the held stock becomes sold and the order confirmed, in one transaction. */
    async confirmOrder(input: { orderId: string }): Promise<void> {
      const now = deps.clock();
      await db.transaction(async (tx) => {
        await tx
          .update(inventoryReservations)
          .set({ status: 'committed', updatedAt: now })
          .where(and(eq(inventoryReservations.orderId, input.orderId), eq(inventoryReservations.status, 'held')));
        const updated = await tx
          .update(orders)
          .set({ status: 'confirmed', confirmedAt: now, updatedAt: now })
          .where(and(eq(orders.id, input.orderId), inArray(orders.status, ['pending', 'awaiting_payment'])))
          .returning({ id: orders.id });
        if (!updated.length) return;
        await recordEvent(tx, input.orderId, 'order.confirmed', {});
        await consumeCartLines(tx, input.orderId);
      });
    },

    /** Ends an order as failed or cancelled (with the reason); a no-op if the order was never created or already closed. */
    async closeOrder(input: { orderId: string; status: 'failed' | 'cancelled'; reason: string; refunded?: boolean }): Promise<void> {
      const now = deps.clock();
      await db.transaction(async (tx) => {
        const updated = await tx
          .update(orders)
          .set({ status: input.status, failureReason: input.reason, updatedAt: now })
          .where(and(eq(orders.id, input.orderId), inArray(orders.status, ['pending', 'awaiting_payment', 'confirmed'])))
          .returning({ id: orders.id });
        if (!updated.length) return;
        await recordEvent(tx, input.orderId, input.status === 'failed' ? 'order.failed' : 'order.cancelled', { reason: input.reason });
        if (input.refunded) await recordEvent(tx, input.orderId, 'order.refunded', { reason: input.reason });
      });
    },
  };
}
