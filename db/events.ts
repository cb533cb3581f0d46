/**
 * The order timeline (order_events): every event is written here, one way, inside the statement or transaction of
 * the change it describes. The dedupe key `${orderId}:${type}[:${extra}]` makes a retried step write it once.
 */
import { is, sql, SQL } from 'drizzle-orm';
import type { Db, Tx } from './client';
import { orderEvents } from './schema';

export interface OrderEvent {
  orderId: string;
  type: string;
  /** An object, or a jsonb expression over the statement's other CTEs. */
  data?: Record<string, unknown> | SQL;
  /** Tells apart events of one type that a step may write more than once (a channel, a generation). */
  extra?: string;
  /** The event's time; the database's now() when absent. */
  at?: Date;
}

export const eventDedupeKey = (orderId: string, type: string, extra?: string): string =>
  extra ? `${orderId}:${type}:${extra}` : `${orderId}:${type}`;

/**
 * The event as a CTE named `name` of a larger statement, so it commits with the change it describes (one statement
 * is one transaction). With `onlyIf`, it is written only when that CTE returned a row (the change happened).
 */
export function eventCte(name: string, event: OrderEvent, opts: { onlyIf?: string } = {}): SQL {
  const { orderId, type, data = {} } = event;
  const json = is(data, SQL) ? data : sql`${JSON.stringify(data)}::jsonb`;
  const at = event.at ? sql`${event.at.toISOString()}::timestamptz` : sql`now()`;
  const when = opts.onlyIf ? sql`where exists (select 1 from ${sql.identifier(opts.onlyIf)})` : sql``;
  return sql`${sql.identifier(name)} as (
    insert into ${orderEvents} (order_id, type, data, dedupe_key, created_at)
    select ${orderId}::uuid, ${type}::text, ${json}, ${eventDedupeKey(orderId, type, event.extra)}::text, ${at} ${when}
    on conflict do nothing)`;
}

/** Appends one event on its own, in the caller's transaction (or as its own statement). */
export async function recordEvent(db: Db | Tx, event: OrderEvent): Promise<void> {
  await db.execute(sql`with ${eventCte('e', event)} select 1`);
}
