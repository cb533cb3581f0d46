/**
 * The housekeeping Schedule, created or brought up to date by every worker at start (`make start`, `make cluster` and
 * compose all start workers through startWorker), so it exists wherever a worker could run it. Creating it is
 * idempotent: a second worker finds it and writes the same spec again.
 */
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import type { ConnectionLike } from '@temporalio/client';
import { housekeepingScheduleId, HOUSEKEEPING_WORKFLOW_ID, HOUSEKEEPING_WORKFLOW_TYPE } from '../contract';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';

/** What the schedule should be under this configuration. */
export function housekeepingSchedule(config: Config): ScheduleOptions {
  return {
    scheduleId: housekeepingScheduleId(config.temporal.taskQueue),
    spec: { intervals: [{ every: config.housekeeping.interval }] },
    action: {
      type: 'startWorkflow',
      workflowType: HOUSEKEEPING_WORKFLOW_TYPE,
      workflowId: HOUSEKEEPING_WORKFLOW_ID,
      taskQueue: config.temporal.taskQueue,
      args: [],
      // What the Web UI's Schedules page and workflow list show for each run.
      staticSummary: `Housekeeping: expire carts idle ${config.housekeeping.cartIdleExpiry}, settle orders whose workflow closed`,
      // A run that cannot finish in an hour is failed, so SKIP does not hold the schedule back forever.
      workflowExecutionTimeout: '1h',
    },
    policies: {
      // One run at a time: a run that outlasts the interval makes the next one skip, not pile up.
      overlap: ScheduleOverlapPolicy.SKIP,
      // After an outage, one catch-up run rather than one per missed interval (each run does all the work due).
      catchupWindow: '1m',
      pauseOnFailure: false,
    },
    state: { note: 'Created by the Orderly worker at start (workers/schedule.ts)' },
  };
}

/** Creates the schedule, or updates it to this configuration if it exists; answers which it did. */
export async function ensureHousekeepingSchedule(client: Client, config: Config): Promise<'created' | 'updated'> {
  const wanted = housekeepingSchedule(config);
  try {
    await client.schedule.create(wanted);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(wanted.scheduleId).update((current) => ({
    ...current,
    spec: wanted.spec,
    action: wanted.action,
    policies: { ...current.policies, ...wanted.policies },
    state: { ...current.state, note: wanted.state?.note },
  }));
  return 'updated';
}

/** startWorker's step: a schedule that cannot be written is logged, not fatal (orders do not depend on it). */
export async function ensureHousekeepingScheduleOn(
  connection: ConnectionLike,
  config: Config,
  log: Logger,
): Promise<void> {
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const done = await ensureHousekeepingSchedule(client, config);
    log.info(
      { scheduleId: housekeepingScheduleId(config.temporal.taskQueue), interval: config.housekeeping.interval },
      `schedule ${done}`,
    );
  } catch (err) {
    log.error(
      { err, scheduleId: housekeepingScheduleId(config.temporal.taskQueue) },
      'could not create the housekeeping schedule',
    );
  }
}
