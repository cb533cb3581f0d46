/** Opaque keyset cursors: base64url JSON of the sort it belongs to, the last row's sort key and id. */
import { textProblem } from '../../contract';
import { badRequest } from '../problem';

export type SortField = 'price' | 'name' | 'createdAt' | 'relevance';
export type SortDir = 'asc' | 'desc';

export interface Cursor {
  /** Sort field and direction the cursor was made for; reusing it under another sort is refused. */
  s: `${SortField}:${SortDir}`;
  /**
   * Sort key of the last row returned: price in cents, name, created_at as an ISO string with microseconds, or the
   * integer relevance score.
   */
  k: number | string;
  /** Id of the last row returned (the tie-breaker). */
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The relevance score is an int: a larger key would make its cast fail (a 500, not a 400). */
const MAX_INT4 = 2_147_483_647;
const MICRO_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.s, c.k, c.id])).toString('base64url');
}

function invalid(): never {
  throw badRequest('The cursor is invalid; use the nextCursor of a previous page with the same sort.', [
    { path: 'cursor', message: 'invalid cursor' },
  ]);
}

export function decodeCursor(raw: string, field: SortField, dir: SortDir): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) invalid();
  const [s, k, id] = parsed as unknown[];
  if (s !== `${field}:${dir}` || typeof id !== 'string' || !UUID.test(id)) invalid();
  const keyOk =
    field === 'price'
      ? Number.isSafeInteger(k) && (k as number) >= 0
      : field === 'relevance'
        ? Number.isSafeInteger(k) && (k as number) >= 0 && (k as number) <= MAX_INT4
        : field === 'name'
          ? typeof k === 'string' && textProblem(k) === undefined
          : typeof k === 'string' && MICRO_ISO.test(k);
  if (!keyOk) invalid();
  return { s: `${field}:${dir}`, k: k as number | string, id };
}
