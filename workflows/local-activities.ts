/**
 * Local activities that fail the way regular ones do. The SDK rejects a regular activity with an ActivityFailure around
 * the activity's own failure, but a local one with the bare failure (an ApplicationFailure, a TimeoutFailure). The
 * checkout and the notifications tell an activity's failure from a bug in workflow code by ActivityFailure, so the
 * local calls are wrapped the same way; a cancellation passes through as it came.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  TemporalFailure,
  TimeoutFailure,
  isCancellation,
  proxyLocalActivities,
  type LocalActivityOptions,
} from '@temporalio/workflow';

function asActivityFailure(err: unknown, activityType: string): unknown {
  if (!(err instanceof TemporalFailure) || err instanceof ActivityFailure || isCancellation(err)) return err;
  const retryState =
    err instanceof ApplicationFailure && err.nonRetryable
      ? 'NON_RETRYABLE_FAILURE'
      : err instanceof TimeoutFailure
        ? 'TIMEOUT'
        : 'MAXIMUM_ATTEMPTS_REACHED';
  return new ActivityFailure(
    `local activity ${activityType} failed`,
    activityType,
    undefined,
    retryState,
    undefined,
    err,
  );
}

/**
 * Backoffs up to this long wait in the worker, inside the workflow task; longer ones on a server timer (a marker with
 * the backoff, then TimerStarted). While a local activity runs or waits in the worker, the workflow task stays open:
 * signals, updates, queries and a cancel reach the workflow only when the worker heartbeats the task (every 8 s). The
 * SDK's default (1 min) would keep a step that retries for minutes deaf that long; 5 s keeps the happy path in one task
 * and a retrying step answering.
 */
export const LOCAL_RETRY_THRESHOLD = '5s';

/** proxyLocalActivities, whose calls reject with an ActivityFailure as regular activities' do. */
export function proxyLocalSteps<A extends object>(options: LocalActivityOptions): A {
  const acts = proxyLocalActivities<Record<string, (...args: unknown[]) => Promise<unknown>>>({
    localRetryThreshold: LOCAL_RETRY_THRESHOLD,
    ...options,
  });
  return new Proxy({} as A, {
    get(_, name) {
      if (typeof name !== 'string') return undefined;
      return async (...args: unknown[]) => {
        try {
          return await acts[name]!(...args);
        } catch (err) {
          throw asActivityFailure(err, name);
        }
      };
    },
  });
}
