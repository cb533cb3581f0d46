/** Inventory activities: hold, and give back, stock for an order atomically, in a fixed product order (no deadlocks). */
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { OUT_OF_STOCK } from '../../contract';
import { eventCte, recordEvent } from '../../db/events';
import { parseOneRow } from '../../db/rows';
import { inventoryReservations, orderLines, products } from '../../db/schema';
import type { Tx } from '../../db/client';
import type { ActivityDeps } from '../deps';

const ShortLine = z.object({ productId: z.string(), sku: z.string(), requested: z.number(), available: z.number() });
export type ShortLine = z.infer<typeof ShortLine>;

/** What reserveInventory's statement answers: the order's line count and the lines stock cannot cover (null: none). */
const ReserveRow = z.object({ lines: z.number(), short: z.array(ShortLine).nullable() });

export function createInventoryActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /**
     * Holds every line of the order or none, in one statement (so one transaction, one round trip):
     * - `locked` takes a row lock on each line's product in product-id order (no deadlocks between orders), reading
     *   the stock as last committed;
     * - `short` lists the lines that stock cannot cover;
     * - `taken` decrements every line's product only if no line is short. Its condition is evaluated before it touches
     *   a row, and it needs `short`, so every lock above is held before the first change;
     * - the holds and `inventory.reserved` are written only when the stock was taken.
     * A retry finds its holds (`held`) and changes nothing. Two runs at once: the second waits on the locks, then its
     * holds collide with the first's (primary key), which fails the statement and undoes it; its retry finds the holds.
     * Any short line fails the whole reservation with a non-retryable OutOfStock naming the lines.
     */
    async reserveInventory(input: { orderId: string }): Promise<{ lines: number }> {
      const now = deps.clock().toISOString();
      const { lines, short } = parseOneRow(
        await db.execute(sql`
          with lines as (
            select product_id, sku, quantity from ${orderLines} where order_id = ${input.orderId}::uuid),
          held as (
            select exists (select 1 from ${inventoryReservations} where order_id = ${input.orderId}::uuid) as yes),
          locked as (
            select p.id, p.stock from ${products} p
             where p.id in (select product_id from lines) and not (select yes from held)
             order by p.id
               for update),
          short as (
            select l.product_id, l.sku, l.quantity, coalesce(k.stock, 0) as available
              from lines l left join locked k on k.id = l.product_id
             where not (select yes from held) and coalesce(k.stock, 0) < l.quantity),
          taken as (
            update ${products} p set stock = p.stock - l.quantity, version = p.version + 1
              from lines l
             where p.id = l.product_id and not (select yes from held) and not exists (select 1 from short)
            returning p.id),
          holds as (
            insert into ${inventoryReservations} (order_id, product_id, quantity, status, created_at, updated_at)
            select ${input.orderId}::uuid, l.product_id, l.quantity, 'held', ${now}::timestamptz, ${now}::timestamptz
              from lines l where exists (select 1 from taken)),
          ${eventCte(
            'e',
            {
              orderId: input.orderId,
              type: 'inventory.reserved',
              data: sql`jsonb_build_object('lines', (select jsonb_agg(jsonb_build_object('productId', product_id, 'sku', sku, 'quantity', quantity)
                                                                      order by product_id) from lines))`,
            },
            { onlyIf: 'taken' },
          )}
          select (select count(*) from lines)::int as lines,
                 (select json_agg(json_build_object('productId', product_id, 'sku', sku, 'requested', quantity, 'available', available)
                                  order by product_id) from short) as short`),
        ReserveRow,
      );
      if (short?.length) {
        throw ApplicationFailure.nonRetryable(`out of stock: ${short.map((l) => l.sku).join(', ')}`, OUT_OF_STOCK, {
          lines: short,
        });
      }
      return { lines };
    },

    /** Puts held or sold units back on the shelf (compensation and refund); running it again changes nothing. */
    async releaseInventory(input: { orderId: string; reason: string }): Promise<{ released: number }> {
      return db.transaction((tx) => releaseStock(tx, deps.clock(), { ...input, statuses: ['held', 'committed'] }));
    },
  };
}

/**
 * Puts an order's reservations in `statuses` back on the shelf and records `inventory.released`, in the caller's
 * transaction (rows locked in product order); an order with none changes nothing.
 */
export async function releaseStock(
  tx: Tx,
  now: Date,
  input: { orderId: string; reason: string; statuses: ('held' | 'committed')[] },
): Promise<{ released: number }> {
  const which = and(
    eq(inventoryReservations.orderId, input.orderId),
    inArray(inventoryReservations.status, input.statuses),
  );
  const rows = await tx
    .select()
    .from(inventoryReservations)
    .where(which)
    .orderBy(asc(inventoryReservations.productId))
    .for('update');
  if (!rows.length) return { released: 0 };
  for (const r of rows) {
    await tx
      .update(products)
      .set({ stock: sql`${products.stock} + ${r.quantity}`, version: sql`${products.version} + 1` })
      .where(eq(products.id, r.productId));
  }
  await tx.update(inventoryReservations).set({ status: 'released', updatedAt: now }).where(which);
  await recordEvent(tx, {
    orderId: input.orderId,
    type: 'inventory.released',
    data: {
      reason: input.reason,
      lines: rows.map((r) => ({ productId: r.productId, quantity: r.quantity, was: r.status })),
    },
  });
  return { released: rows.length };
}
