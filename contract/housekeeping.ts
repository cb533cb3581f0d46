/** The housekeeping schedule and workflow: names, ids, batch bounds and what a run answers. */

import { DEFAULT_TASK_QUEUE } from './checkout';

/** The Temporal Schedule's id on the default task queue (`temporal schedule describe --schedule-id orderly-housekeeping`). */
export const HOUSEKEEPING_SCHEDULE_ID = 'orderly-housekeeping';

/**
 * One schedule per task queue: Orderly deployments that share a namespace on different task queues (and test runs on
 * one dev server) each keep their own.
 */
export function housekeepingScheduleId(taskQueue: string): string {
  return taskQueue === DEFAULT_TASK_QUEUE ? HOUSEKEEPING_SCHEDULE_ID : `${HOUSEKEEPING_SCHEDULE_ID}-${taskQueue}`;
}
export const HOUSEKEEPING_WORKFLOW_TYPE = 'housekeeping';
/** Each run's workflow id is this plus the scheduled time, which the schedule appends. */
export const HOUSEKEEPING_WORKFLOW_ID = 'housekeeping';

/** Rows one activity call handles: a batch is one short statement, never a scan of the whole table. */
export const HOUSEKEEPING_BATCH_SIZE = 100;
/** Batches one run takes at most per kind of work; what is left waits for the next run. */
export const HOUSEKEEPING_MAX_BATCHES = 20;

/** The event written when housekeeping finds an open order whose workflow has closed. */
export const NEEDS_ATTENTION_EVENT = 'order.needs_attention';
/** The reason on that event and on the stock it releases. */
export const WORKFLOW_CLOSED_REASON = 'workflow_closed';

/** What settleStuckOrder did with one candidate. */
export type StuckOrderOutcome = 'running' | 'released' | 'flagged' | 'settled_meanwhile';

/** What one housekeeping run did, as its result shows in the Web UI. */
export interface HousekeepingResult {
  cartsExpired: number;
  remindersSent: number;
  ordersChecked: number;
  ordersFlagged: number;
  ordersReleased: number;
}
