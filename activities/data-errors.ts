/**
 * Every activity's PostgreSQL data errors become non-retryable: input the database refuses (SQLSTATE class 22, a
 * permanent integrity violation) is refused again on every attempt, and a retry policy of 60 attempts would only
 * stretch a failure (a compensation, a cancel waiting on it) over an hour.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DATA_REJECTED, storableText } from '../contract';
import { isPermanentDataError, pgErrorCode } from '../db/pg-error';

type AnyActivity = (...args: never[]) => Promise<unknown>;

/** `err` as a non-retryable DataRejected failure when PostgreSQL refused the data; otherwise `err` itself. */
export function asDataRejected(activity: string, err: unknown): unknown {
  if (!isPermanentDataError(err)) return err;
  const code = pgErrorCode(err);
  const message = storableText(err instanceof Error ? err.message : String(err));
  return ApplicationFailure.create({
    type: DATA_REJECTED,
    message: `${activity}: the database refused the data (SQLSTATE ${code}): ${message}`,
    nonRetryable: true,
    details: [{ sqlstate: code }],
    cause: err instanceof Error ? err : undefined,
  });
}

/** The same activities, each raising DataRejected (non-retryable) where PostgreSQL refused its data. */
export function withDataErrorsPermanent<T extends Record<string, AnyActivity>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, run]) => [
      name,
      async (...args: never[]) => {
        try {
          return await run(...args);
        } catch (err) {
          throw asDataRejected(name, err);
        }
      },
    ]),
  ) as T;
}
