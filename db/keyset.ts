/** SQL helpers for keyset pagination over timestamp columns. */
import { sql, type AnyColumn } from 'drizzle-orm';

/**
 * A timestamptz column as an exact ISO string. PostgreSQL keeps microseconds and a JS Date keeps milliseconds, so a
 * cursor built from a Date can skip (or repeat) rows created within the same millisecond as the page's last row.
 */
export const exactTimestamp = (column: AnyColumn) =>
  sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
