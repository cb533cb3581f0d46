/**
 * Abandoned carts: expire the ones left untouched for CART_IDLE_EXPIRY, keeping what each held in cart_housekeeping.
 * A cart holds no stock (stock is reserved by a checkout, for its order), so expiring one releases its lines alone.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { durationMs } from '../../contract';
import { parseOneRow } from '../../db/rows';
import { cartHousekeeping, cartLines, carts, orders } from '../../db/schema';
import type { ActivityDeps } from '../deps';

export function createCartHousekeepingActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /**
     * Expires up to `limit` idle carts in one statement: picks the oldest untouched carts that no checkout is working
     * on, locking them (SKIP LOCKED passes over a cart a customer is changing right now), deletes them (their lines go
     * with them) and records each with its lines. Every part of the statement reads the same snapshot, so the record
     * sees the lines the delete removes. Running it again expires only carts that are idle by then.
     */
    async expireIdleCarts(input: { limit: number }): Promise<{ expired: number }> {
      const now = deps.clock();
      const cutoff = new Date(now.getTime() - durationMs(deps.config.housekeeping.cartIdleExpiry)).toISOString();
      const { expired } = parseOneRow(
        await db.execute(sql`
          with idle as (
            select c.id from ${carts} c
             where c.updated_at < ${cutoff}::timestamptz
               and not exists (select 1 from ${orders} o
                                where o.cart_id = c.id and o.status in ('pending', 'awaiting_payment'))
             order by c.updated_at, c.id
             limit ${input.limit}
               for update skip locked),
          gone as (
            delete from ${carts} c using idle
             where c.id = idle.id and c.updated_at < ${cutoff}::timestamptz
            returning c.id, c.customer_id, c.updated_at),
          kept as (
            insert into ${cartHousekeeping} (cart_id, customer_id, lines, idle_since, expired_at)
            select g.id, g.customer_id,
                   coalesce((select jsonb_agg(jsonb_build_object('productId', cl.product_id, 'quantity', cl.quantity)
                                              order by cl.product_id)
                               from ${cartLines} cl where cl.cart_id = g.id), '[]'::jsonb),
                   g.updated_at, ${now.toISOString()}::timestamptz
              from gone g
            on conflict (cart_id) do update
              set lines = excluded.lines, idle_since = excluded.idle_since, expired_at = excluded.expired_at)
          select (select count(*) from gone)::int as expired`),
        z.object({ expired: z.number() }),
      );
      return { expired };
    },
  };
}
