/**
 * The notifications tracking table: one row per (order, kind, channel), claimed before a send and marked after,
 * each state change written with its order event in one transaction.
 */
import { and, asc, eq, lt, ne, sql } from 'drizzle-orm';
import { oncePerDb, type Db } from '../../db/client';
import { customers, notifications, orderEvents, orderLines, orders } from '../../db/schema';
import { NOTIFICATION_CHANNELS, type ChannelName } from './channel';
import type { OrderView } from './templates';

export type NotificationRow = typeof notifications.$inferSelect;

export interface NotificationKey {
  orderId: string;
  kind: string;
  channel: ChannelName;
  generation: number;
}

export function eventKey(type: string, key: NotificationKey): string {
  return `${key.orderId}:${type}:${key.kind}:${key.channel}:g${key.generation}`;
}

const rowOf = (key: NotificationKey) =>
  and(eq(notifications.orderId, key.orderId), eq(notifications.kind, key.kind), eq(notifications.channel, key.channel));

export interface ContactPrefs {
  channels: ChannelName[];
  phone: string | null;
  pushToken: string | null;
}

/** A customer without a row (or without choices) gets email only. */
function prefsOf(row: { notificationChannels: string[] | null; phone: string | null; pushToken: string | null } | null): ContactPrefs {
  const wanted = (row?.notificationChannels ?? ['email']).filter((c): c is ChannelName => (NOTIFICATION_CHANNELS as readonly string[]).includes(c));
  return { channels: [...new Set(wanted)], phone: row?.phone ?? null, pushToken: row?.pushToken ?? null };
}

/** The order, its lines and its customer's contact preferences: one query (one round trip), rendered once per handle. */
const orderForNotice = oncePerDb((db) =>
  db
    .select({
      id: orders.id,
      customerId: orders.customerId,
      email: orders.email,
      currency: orders.currency,
      totalCents: orders.totalCents,
      status: orders.status,
      failureReason: orders.failureReason,
      shippingAddress: orders.shippingAddress,
      line: { sku: orderLines.sku, name: orderLines.name, unitPriceCents: orderLines.unitPriceCents, quantity: orderLines.quantity, lineTotalCents: orderLines.lineTotalCents },
      customer: { notificationChannels: customers.notificationChannels, phone: customers.phone, pushToken: customers.pushToken },
    })
    .from(orders)
    .leftJoin(orderLines, eq(orderLines.orderId, orders.id))
    .leftJoin(customers, eq(customers.id, orders.customerId))
    .where(eq(orders.id, sql.placeholder('orderId')))
    .orderBy(asc(orderLines.name), asc(orderLines.sku))
    .prepare('order_for_notice'),
);

export async function loadOrder(db: Db, orderId: string): Promise<{ view: OrderView; customerId: string; prefs: ContactPrefs } | undefined> {
  const found = await orderForNotice(db).execute({ orderId });
  const order = found[0];
  if (!order) return undefined;
  return {
    customerId: order.customerId,
    prefs: prefsOf(order.customer),
    view: {
      id: order.id,
      email: order.email,
      currency: order.currency,
      totalCents: order.totalCents,
      status: order.status,
      failureReason: order.failureReason,
      shippingAddress: order.shippingAddress ?? {},
      lines: found.flatMap((r) => (r.line ? [r.line] : [])),
    },
  };
}

export type ClaimDecision = 'send' | 'already_sent' | 'superseded';

/**
 * Takes the row for this send: creates it, or locks it and counts the attempt. A row already `sent` for this
 * generation (or moved on to a newer one by a resend) means there is nothing to send.
 */
export async function claim(
  db: Db,
  key: NotificationKey,
  fields: { recipient: string; messageId: string },
  now: Date,
): Promise<{ decision: ClaimDecision; row: NotificationRow }> {
  // One upsert claims the row (new: attempt 1; same generation not yet sent: one more attempt; older generation:
  // a fresh start). It returns nothing when the row is sent for this generation or superseded, which is rare.
  const fresh = sql`${notifications.generation} < excluded.generation`;
  const [claimed] = await db
    .insert(notifications)
    .values({ orderId: key.orderId, kind: key.kind, channel: key.channel, recipient: fields.recipient, generation: key.generation, messageId: fields.messageId, status: 'pending', attempts: 1, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [notifications.orderId, notifications.kind, notifications.channel],
      set: {
        status: 'pending',
        generation: sql`excluded.generation`,
        attempts: sql`case when ${fresh} then 1 else ${notifications.attempts} + 1 end`,
        recipient: sql`excluded.recipient`,
        messageId: sql`excluded.message_id`,
        providerMessageId: sql`case when ${fresh} then null else ${notifications.providerMessageId} end`,
        lastError: sql`case when ${fresh} then null else ${notifications.lastError} end`,
        sentAt: sql`case when ${fresh} then null else ${notifications.sentAt} end`,
        updatedAt: now,
      },
      setWhere: sql`${fresh} or (${notifications.generation} = excluded.generation and ${notifications.status} <> 'sent')`,
    })
    .returning();
  if (claimed) return { decision: 'send', row: claimed };
  const [row] = await db.select().from(notifications).where(rowOf(key));
  if (!row) throw new Error(`notification row for ${key.orderId}/${key.kind}/${key.channel} vanished`);
  return { decision: row.generation > key.generation ? 'superseded' : 'already_sent', row };
}

/** Remembers why an attempt failed; the row stays pending while Temporal still has retries left. */
export async function recordAttemptError(db: Db, row: NotificationRow, error: string, now: Date): Promise<void> {
  await db
    .update(notifications)
    .set({ lastError: error.slice(0, 1000), updatedAt: now })
    .where(and(eq(notifications.id, row.id), eq(notifications.generation, row.generation), ne(notifications.status, 'sent')));
}

/** The provider accepted: the row becomes `sent` and `notification.sent` joins the timeline, in one statement. */
export async function markSent(db: Db, key: NotificationKey, row: NotificationRow, providerMessageId: string, now: Date): Promise<void> {
  const at = now.toISOString();
  const data = { kind: key.kind, channel: key.channel, generation: key.generation, messageId: row.messageId, recipient: row.recipient, attempts: row.attempts, providerMessageId };
  await db.execute(sql`
    with n as (
      update ${notifications} set status = 'sent', provider_message_id = ${providerMessageId}, sent_at = ${at}::timestamptz, last_error = null, updated_at = ${at}::timestamptz
       where id = ${row.id} and generation = ${key.generation})
    insert into ${orderEvents} (order_id, type, data, dedupe_key, created_at)
    values (${key.orderId}, 'notification.sent', ${JSON.stringify(data)}::jsonb, ${eventKey('notification.sent', key)}, ${at}::timestamptz)
    on conflict do nothing`);
}

/** Retries are exhausted (or the provider refused for good): the row becomes `failed`; the order is left alone. */
export async function markFailed(db: Db, key: NotificationKey, error: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const updated = await tx
      .update(notifications)
      .set({ status: 'failed', lastError: error.slice(0, 1000), updatedAt: now })
      .where(and(rowOf(key), eq(notifications.generation, key.generation), ne(notifications.status, 'sent')))
      .returning({ id: notifications.id });
    if (updated.length === 0) return; // sent after all, or superseded by a resend
    await tx
      .insert(orderEvents)
      .values({ orderId: key.orderId, type: 'notification.failed', data: { kind: key.kind, channel: key.channel, generation: key.generation, error: error.slice(0, 500) }, dedupeKey: eventKey('notification.failed', key), createdAt: now })
      .onConflictDoNothing();
  });
}

/** A channel the customer chose but cannot be used (no phone, no webhook configured): recorded, not retried. */
export async function markSkipped(db: Db, key: NotificationKey, reason: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const inserted = await tx
      .insert(notifications)
      .values({ orderId: key.orderId, kind: key.kind, channel: key.channel, recipient: '', generation: key.generation, status: 'failed', lastError: `skipped: ${reason}`, createdAt: now, updatedAt: now })
      .onConflictDoNothing()
      .returning({ id: notifications.id });
    if (inserted.length === 0) return;
    await tx
      .insert(orderEvents)
      .values({ orderId: key.orderId, type: 'notification.skipped', data: { kind: key.kind, channel: key.channel, generation: key.generation, reason }, dedupeKey: eventKey('notification.skipped', key), createdAt: now })
      .onConflictDoNothing();
  });
}

/** An admin's resend: moves the row to the new generation (so older retries stand down) and records who asked. */
export async function beginResend(db: Db, key: NotificationKey, requestedBy: string | undefined, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(notifications)
      .set({ generation: key.generation, status: 'pending', attempts: 0, providerMessageId: null, lastError: null, sentAt: null, updatedAt: now })
      .where(and(rowOf(key), lt(notifications.generation, key.generation)));
    await tx
      .insert(orderEvents)
      .values({ orderId: key.orderId, type: 'notification.resent', data: { kind: key.kind, channel: key.channel, generation: key.generation, requestedBy: requestedBy ?? null }, dedupeKey: eventKey('notification.resent', key), createdAt: now })
      .onConflictDoNothing();
  });
}
