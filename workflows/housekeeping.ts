/**
 * housekeeping: what the `orderly-housekeeping` Schedule runs. It expires abandoned carts (after one reminder, when
 * CART_REMINDER_AFTER is due first) and settles open orders whose checkout workflow has closed. Every step is an
 * idempotent activity over a bounded batch; Temporal's retry policy rides out a database or server outage, and a run
 * that still fails leaves the rest for the next one (the schedule skips a run while one is going).
 */
import { ActivityFailure, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { EMAIL_RETRY } from './notify-customer';
import { HOUSEKEEPING_BATCH_SIZE, HOUSEKEEPING_MAX_BATCHES, type HousekeepingResult } from '../contract';

type Activities = ReturnType<typeof createActivities>;

/** Batch statements in our database: quick, retried for about ten minutes of outage, then the run fails. */
const HOUSEKEEPING_DB_RETRY: ActivityOptions = {
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 15 },
};
/** A describe call to Temporal plus one short transaction per order. */
const STUCK_ORDER_RETRY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
};

const books = proxyActivities<Activities>(HOUSEKEEPING_DB_RETRY);
const orders = proxyActivities<Activities>(STUCK_ORDER_RETRY);
const email = proxyActivities<Activities>(EMAIL_RETRY);

/** One cart's reminder; a send that runs out of retries is recorded as given up, and the run goes on. */
async function remind(cartId: string): Promise<boolean> {
  try {
    return (await email.sendCartReminder({ cartId })) === 'sent';
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    await books.recordCartReminderFailure({ cartId, error: err.cause?.message ?? err.message });
    return false;
  }
}

export async function housekeeping(): Promise<HousekeepingResult> {
  const result: HousekeepingResult = {
    cartsExpired: 0,
    remindersSent: 0,
    ordersChecked: 0,
    ordersFlagged: 0,
    ordersReleased: 0,
  };

  for (let i = 0; i < HOUSEKEEPING_MAX_BATCHES; i++) {
    const { expired } = await books.expireIdleCarts({ limit: HOUSEKEEPING_BATCH_SIZE });
    result.cartsExpired += expired;
    if (expired < HOUSEKEEPING_BATCH_SIZE) break;
  }

  for (let i = 0; i < HOUSEKEEPING_MAX_BATCHES; i++) {
    const due = await books.listCartsToRemind({ limit: HOUSEKEEPING_BATCH_SIZE });
    const sent = await Promise.all(due.map(remind));
    result.remindersSent += sent.filter(Boolean).length;
    if (due.length < HOUSEKEEPING_BATCH_SIZE) break;
  }

  let after: string | undefined;
  for (let i = 0; i < HOUSEKEEPING_MAX_BATCHES; i++) {
    const candidates = await books.listStuckOrderCandidates({ after, limit: HOUSEKEEPING_BATCH_SIZE });
    const outcomes = await Promise.all(candidates.map((c) => orders.settleStuckOrder(c)));
    result.ordersChecked += candidates.length;
    result.ordersFlagged += outcomes.filter((o) => o === 'flagged' || o === 'released').length;
    result.ordersReleased += outcomes.filter((o) => o === 'released').length;
    if (candidates.length < HOUSEKEEPING_BATCH_SIZE) break;
    after = candidates[candidates.length - 1]!.orderId;
  }

  return result;
}
