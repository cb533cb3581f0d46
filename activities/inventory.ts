/** Inventory activities: hold, and give back, stock for an order atomically, in a fixed product order (no deadlocks). */
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { inventoryReservations, orderLines, products } from '../db/schema';
import { OUT_OF_STOCK } from '../workflows/types';
import type { ActivityDeps } from './deps';
import { eventCte, recordEvent } from './orders';

export interface ShortLine {
  productId: string;
  sku: string;
  requested: number;
  available: number;
}

export function createInventoryActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /**
     * Holds every line of the order or none: a conditional decrement per line in one transaction.
     * Any short line fails the whole reservation with a non-retryable OutOfStock naming the lines.
     */
    async reserveInventory(input: { orderId: string }): Promise<{ lines: number }> {
      return db.transaction(async (tx) => {
        // The lines, and whether a previous run already holds them (a retry returns without touching stock).
        const lines = await tx
          .select({
            productId: orderLines.productId,
            sku: orderLines.sku,
            quantity: orderLines.quantity,
            held: sql<boolean>`exists (select 1 from ${inventoryReservations} r where r.order_id = ${input.orderId})`,
          })
          .from(orderLines)
          .where(eq(orderLines.orderId, input.orderId))
          .orderBy(asc(orderLines.productId));
        if (lines[0]?.held) return { lines: lines.length };
        const short: ShortLine[] = [];
        for (const line of lines) {
          const taken = await tx
            .update(products)
            .set({ stock: sql`${products.stock} - ${line.quantity}`, version: sql`${products.version} + 1` })
            .where(and(eq(products.id, line.productId), sql`${products.stock} >= ${line.quantity}`))
            .returning({ id: products.id });
          if (!taken.length) {
            const [p] = await tx.select({ stock: products.stock }).from(products).where(eq(products.id, line.productId));
            short.push({ productId: line.productId, sku: line.sku, requested: line.quantity, available: p?.stock ?? 0 });
          }
        }
        if (short.length) {
          // Throwing rolls the transaction back: nothing stays held.
          throw ApplicationFailure.nonRetryable(`out of stock: ${short.map((s) => s.sku).join(', ')}`, OUT_OF_STOCK, { lines: short });
        }
        // The holds and `inventory.reserved` in one statement.
        const now = deps.clock().toISOString();
        const held = lines.map((l) => ({ product_id: l.productId, quantity: l.quantity }));
        await tx.execute(sql`
          with r as (
            insert into ${inventoryReservations} (order_id, product_id, quantity, status, created_at, updated_at)
            select ${input.orderId}::uuid, x.product_id, x.quantity, 'held', ${now}::timestamptz, ${now}::timestamptz
              from jsonb_to_recordset(${JSON.stringify(held)}::jsonb) as x(product_id uuid, quantity integer)),
          ${eventCte('e', input.orderId, 'inventory.reserved', { lines: lines.map((l) => ({ productId: l.productId, sku: l.sku, quantity: l.quantity })) })}
          select 1`);
        return { lines: lines.length };
      });
    },

    /** Puts held or sold units back on the shelf (compensation and refund); running it again changes nothing. */
    async releaseInventory(input: { orderId: string; reason: string }): Promise<{ released: number }> {
      return db.transaction(async (tx) => {
        const rows = await tx
          .select()
          .from(inventoryReservations)
          .where(and(eq(inventoryReservations.orderId, input.orderId), inArray(inventoryReservations.status, ['held', 'committed'])))
          .orderBy(asc(inventoryReservations.productId))
          .for('update');
        if (!rows.length) return { released: 0 };
        const now = deps.clock();
        for (const r of rows) {
          await tx.update(products).set({ stock: sql`${products.stock} + ${r.quantity}`, version: sql`${products.version} + 1` }).where(eq(products.id, r.productId));
        }
        await tx
          .update(inventoryReservations)
          .set({ status: 'released', updatedAt: now })
          .where(and(eq(inventoryReservations.orderId, input.orderId), inArray(inventoryReservations.status, ['held', 'committed'])));
        await recordEvent(tx, input.orderId, 'inventory.released', {
          reason: input.reason,
          lines: rows.map((r) => ({ productId: r.productId, quantity: r.quantity, was: r.status })),
        });
        return { released: rows.length };
      });
    },
  };
}
