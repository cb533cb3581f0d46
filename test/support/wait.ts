/**
 * Bounded polling for tests, one helper per kind of thing awaited. Each probes every 100 ms until its condition
 * holds, or fails naming what it awaited and the last value (or error) it saw. Tests wait on these, never on time.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';

const INTERVAL_MS = 100;
const pause = () => new Promise((r) => setTimeout(r, INTERVAL_MS));

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Probes until `done` holds for the probed value, and returns that value. A probe that throws fails the wait. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > until)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${show(last)}`);
    await pause();
    last = await probe();
  }
  return last;
}

/**
 * Retries `attempt` until it resolves, for what fails until it is up (a server starting, a worker not yet
 * polling), and returns its result. Fails with the last error when it never does.
 */
export async function waitForSuccess<T>(what: string, attempt: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > until)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last error: ${String(err)}`, {
          cause: err,
        });
    }
    await pause();
  }
}

/** Waits until the workflow's query `name` answers something `done` accepts, and returns that answer. */
export async function waitForQuery<T>(
  handle: WorkflowHandle,
  name: string,
  what: string,
  done: (answer: T) => boolean,
  timeoutMs?: number,
): Promise<T> {
  return waitFor(`${what} (query ${name} of ${handle.workflowId})`, () => handle.query<T>(name), done, timeoutMs);
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** Waits until the workflow's history holds an event `match` accepts, and returns the first such event. */
export async function waitForHistoryEvent(
  handle: WorkflowHandle,
  what: string,
  match: (e: HistoryEvent) => boolean,
  timeoutMs?: number,
): Promise<HistoryEvent> {
  const events = await waitFor(
    `${what} in the history of ${handle.workflowId}`,
    async () => (await handle.fetchHistory()).events ?? [],
    (evs) => evs.some(match),
    timeoutMs,
  );
  return events.find(match)!;
}

/**
 * Waits until a retry of the workflow's pending activity `activityType` is due: a later attempt whose scheduled time
 * has passed, so it waits for a worker to pick it up. Returns the attempt number.
 */
export async function waitForRetryDue(
  handle: WorkflowHandle,
  activityType: string,
  timeoutMs?: number,
): Promise<number> {
  const pending = await waitFor(
    `a due retry of ${activityType} in ${handle.workflowId}`,
    async () => (await handle.describe()).raw.pendingActivities ?? [],
    (as) =>
      as.some(
        (a) =>
          a.activityType?.name === activityType &&
          (a.attempt ?? 0) >= 2 &&
          (optionalTsToMs(a.scheduledTime) ?? Infinity) <= Date.now(),
      ),
    timeoutMs,
  );
  return pending.find((a) => a.activityType?.name === activityType)!.attempt!;
}
