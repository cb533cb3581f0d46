/** Rows of a raw statement (db.execute), checked against the shape the caller expects instead of cast to it. */
import { z } from 'zod';

/** postgres.js answers a raw statement with an array of rows, PGlite with `{ rows }`. */
const RawResult = z.union([z.array(z.unknown()), z.object({ rows: z.array(z.unknown()) })]);

/** The statement's rows parsed with `row`; a row of another shape throws (a bug in the SQL, not bad input). */
export function parseRows<T extends z.ZodType>(result: unknown, row: T): z.output<T>[] {
  const raw = RawResult.parse(result);
  return z.array(row).parse(Array.isArray(raw) ? raw : raw.rows);
}

/** The one row a statement always returns (a SELECT without FROM, or over CTEs that each yield one row). */
export function parseOneRow<T extends z.ZodType>(result: unknown, row: T): z.output<T> {
  const [first] = parseRows(result, row);
  if (first === undefined) throw new Error('the statement returned no row');
  return first;
}
