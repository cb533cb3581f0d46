/** Compensation bookkeeping: a compensation that ran out of retries goes on the order's timeline for an operator. */
import { sql } from 'drizzle-orm';
import { storableText } from '../../contract';
import { eventCte } from '../../db/events';
import { orders, payments } from '../../db/schema';
import type { ActivityDeps } from '../deps';

export interface CompensationFailure {
  orderId: string;
  /** The compensating activity that failed: reversePayment, releaseInventory or closeOrder. */
  compensation: string;
  /** Why the order was being undone (its failure or cancel reason). */
  reason: string;
  error: string;
}

export function createCompensationActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /**
     * Records `compensation.failed` (once per compensation). A failed payment reversal also marks the payment
     * `reversal_failed` on the order and its payment row, in the same statement: the money may still be held. A no-op
     * for an order that was never created. The reason and error are made storable first (a failure caused by text the
     * database refused may quote it), so the record itself cannot fail the same way.
     */
    async recordCompensationFailure(input: CompensationFailure): Promise<void> {
      const now = deps.clock().toISOString();
      const payment = input.compensation === 'reversePayment';
      await db.execute(sql`
        with o as (
          update ${orders} set updated_at = ${now}::timestamptz${payment ? sql`, payment_status = 'reversal_failed'` : sql``}
           where id = ${input.orderId}
          returning id),
        p as (
          update ${payments} set status = 'reversal_failed', updated_at = ${now}::timestamptz
           where order_id = ${input.orderId} and ${payment}),
        ${eventCte(
          'e',
          {
            orderId: input.orderId,
            type: 'compensation.failed',
            data: {
              compensation: input.compensation,
              reason: storableText(input.reason),
              error: storableText(input.error),
            },
            extra: input.compensation,
          },
          { onlyIf: 'o' },
        )}
        select 1`);
    },
  };
}
