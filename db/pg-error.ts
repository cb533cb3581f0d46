/** Reading PostgreSQL errors the same way whichever driver raised them (postgres.js, PGlite, drizzle's wrapper). */

/** SQLSTATE of a database error, looking through drizzle's DrizzleQueryError wrapper. */
export function pgErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Integrity violations that the same statement with the same input meets again on every retry. */
const PERMANENT_INTEGRITY = new Set(['23502', '23503', '23514', '23P01']);

/**
 * True for an error PostgreSQL raises because of the data itself, which no retry can change: class 22 (data exception:
 * NUL or an unpaired surrogate in text, a number out of range, a malformed value) and the integrity violations above.
 * A unique violation (23505) is left out: a retry of an idempotent write finds the row and takes the other path.
 */
export function isPermanentDataError(err: unknown): boolean {
  const code = pgErrorCode(err);
  return code !== undefined && (code.startsWith('22') || PERMANENT_INTEGRITY.has(code));
}
