/**
 * The notifications tracking table: one row per (order, kind, channel), claimed before a send and marked after,
 * each state change written with its order event in one transaction.
 */
import { and, eq, lt, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { chosenChannels, type ChannelName, type NotificationKind } from '../../contract';
import type { Db } from '../../db/client';
import { eventCte, recordEvent, type OrderEvent } from '../../db/events';
import { parseOneRow } from '../../db/rows';
import { customers, notifications, orderLines, orders } from '../../db/schema';
import type { OrderView } from './templates';

export type NotificationRow = typeof notifications.$inferSelect;

export interface NotificationKey {
  orderId: string;
  kind: NotificationKind;
  channel: ChannelName;
  generation: number;
}

/** A notification's timeline event: one per (kind, channel, generation) and type. */
const noticeEvent = (type: string, key: NotificationKey, data: Record<string, unknown>, at: Date): OrderEvent => ({
  orderId: key.orderId,
  type,
  data,
  extra: `${key.kind}:${key.channel}:g${key.generation}`,
  at,
});

const rowOf = (key: NotificationKey) =>
  and(eq(notifications.orderId, key.orderId), eq(notifications.kind, key.kind), eq(notifications.channel, key.channel));

export interface ContactPrefs {
  channels: ChannelName[];
  phone: string | null;
  pushToken: string | null;
}

const CustomerJson = z
  .object({
    notificationChannels: z.array(z.string()).nullable(),
    phone: z.string().nullable(),
    pushToken: z.string().nullable(),
  })
  .nullable();

/** A customer without a row (or without choices) gets email only. */
function prefsOf(row: z.infer<typeof CustomerJson>): ContactPrefs {
  const wanted = chosenChannels(row?.notificationChannels);
  return { channels: [...new Set(wanted)], phone: row?.phone ?? null, pushToken: row?.pushToken ?? null };
}

/** An order as the notifications need it: the view its templates render, and its customer's contact preferences. */
export interface OrderNotice {
  view: OrderView;
  customerId: string;
  prefs: ContactPrefs;
}

const OrderViewJson: z.ZodType<OrderView> = z.object({
  id: z.string(),
  email: z.string(),
  currency: z.string(),
  totalCents: z.number(),
  status: z.string(),
  failureReason: z.string().nullable(),
  shippingAddress: z.record(z.string(), z.string()),
  lines: z.array(
    z.object({
      sku: z.string(),
      name: z.string(),
      unitPriceCents: z.number(),
      quantity: z.number(),
      lineTotalCents: z.number(),
    }),
  ),
});

/** What noticeJson() returns, before the preferences are cleaned up. */
const NoticeJson = z.object({ view: OrderViewJson, customerId: z.string(), customer: CustomerJson }).nullable();
type NoticeRow = z.infer<typeof NoticeJson>;

/** The order, its lines (by name, then SKU) and its customer's preferences as one json value; null for no such order. */
const noticeJson = (orderId: string) => sql`(
  select json_build_object(
           'view', json_build_object('id', o.id, 'email', o.email, 'currency', o.currency, 'totalCents', o.total_cents, 'status', o.status,
                                     'failureReason', o.failure_reason, 'shippingAddress', coalesce(o.shipping_address, '{}'::jsonb),
                                     'lines', coalesce((select json_agg(json_build_object('sku', l.sku, 'name', l.name, 'unitPriceCents', l.unit_price_cents,
                                                                                          'quantity', l.quantity, 'lineTotalCents', l.line_total_cents)
                                                                        order by l.name, l.sku)
                                                          from ${orderLines} l where l.order_id = o.id), '[]'::json)),
           'customerId', o.customer_id,
           'customer', (select json_build_object('notificationChannels', c.notification_channels, 'phone', c.phone, 'pushToken', c.push_token)
                          from ${customers} c where c.id = o.customer_id))
    from ${orders} o where o.id = ${orderId}::uuid)`;

const toNotice = (row: NoticeRow): OrderNotice | undefined =>
  row ? { view: row.view, customerId: row.customerId, prefs: prefsOf(row.customer) } : undefined;

/** The order a notification is about, in one round trip; undefined when there is no such order. */
export async function loadOrder(db: Db, orderId: string): Promise<OrderNotice | undefined> {
  const row = parseOneRow(
    await db.execute(sql`select ${noticeJson(orderId)} as notice`),
    z.object({ notice: NoticeJson }),
  );
  return toNotice(row.notice);
}

export type ClaimDecision = 'send' | 'already_sent' | 'superseded';

/** The tracking row's fields a send goes on with. */
const ClaimedRow = z.object({
  id: z.string(),
  generation: z.number(),
  messageId: z.string().nullable(),
  recipient: z.string(),
  attempts: z.number(),
});
export type ClaimedRow = z.infer<typeof ClaimedRow>;

/** What claimWithOrder's statement answers: the order, its recipient, and the row it claimed or found. */
const ClaimRow = z.object({
  notice: NoticeJson,
  recipient: z.string().nullable(),
  claimed: ClaimedRow.nullable(),
  current: z.object({ generation: z.number(), messageId: z.string().nullable() }).nullable(),
});

/** What claimWithOrder found and did, by outcome. */
export type Claim =
  | { decision: 'no_order' }
  | { decision: 'no_recipient'; order: OrderNotice }
  | { decision: 'send'; order: OrderNotice; recipient: string; row: ClaimedRow }
  | { decision: Exclude<ClaimDecision, 'send'>; order: OrderNotice; messageId: string | null };

/**
 * Reads the order and takes its tracking row for this send, in one statement (one round trip). The upsert creates the
 * row (attempt 1), counts one more attempt for the same generation not yet sent, or starts over for a newer generation.
 * It writes nothing when the row is already sent for this generation or moved on to a newer one (the row as it was
 * says which), nor when there is no order or no recipient on this channel (the caller raises those). The recipient
 * is picked as recipientFor() in activities/notifications/activities.ts picks it for planning: email, phone, push token.
 */
export async function claimWithOrder(db: Db, key: NotificationKey, messageId: string, now: Date): Promise<Claim> {
  const at = now.toISOString();
  const fresh = sql`${notifications}.generation < excluded.generation`;
  const { notice, recipient, claimed, current } = parseOneRow(
    await db.execute(sql`
      with n as (select ${noticeJson(key.orderId)} as notice),
      r as (
        select case ${key.channel}::text when 'email' then notice->'view'->>'email'
                                        when 'sms' then notice->'customer'->>'phone'
                                        else notice->'customer'->>'pushToken' end as recipient
          from n),
      c as (
        insert into ${notifications} (order_id, kind, channel, recipient, generation, message_id, status, attempts, created_at, updated_at)
        select ${key.orderId}::uuid, ${key.kind}::text, ${key.channel}::text, r.recipient, ${key.generation}::int, ${messageId}::text, 'pending', 1,
               ${at}::timestamptz, ${at}::timestamptz
          from r where r.recipient is not null
        on conflict (order_id, kind, channel) do update
          set status = 'pending', generation = excluded.generation,
              attempts = case when ${fresh} then 1 else ${notifications}.attempts + 1 end,
              recipient = excluded.recipient, message_id = excluded.message_id,
              provider_message_id = case when ${fresh} then null else ${notifications}.provider_message_id end,
              last_error = case when ${fresh} then null else ${notifications}.last_error end,
              sent_at = case when ${fresh} then null else ${notifications}.sent_at end,
              updated_at = excluded.updated_at
          where ${fresh} or (${notifications}.generation = excluded.generation and ${notifications}.status <> 'sent')
        returning id, generation, message_id, recipient, attempts)
      select n.notice, r.recipient,
             (select json_build_object('id', id, 'generation', generation, 'messageId', message_id, 'recipient', recipient, 'attempts', attempts) from c) as claimed,
             case when exists (select 1 from c) then null
                  else (select json_build_object('generation', generation, 'messageId', message_id) from ${notifications}
                         where ${rowOf(key)}) end as current
        from n, r`),
    ClaimRow,
  );
  const order = toNotice(notice);
  if (!order) return { decision: 'no_order' };
  if (!recipient) return { decision: 'no_recipient', order };
  if (claimed) return { decision: 'send', order, recipient, row: claimed };
  if (!current) throw new Error(`notification row for ${key.orderId}/${key.kind}/${key.channel} vanished`);
  return {
    decision: current.generation > key.generation ? 'superseded' : 'already_sent',
    order,
    messageId: current.messageId,
  };
}

/** Remembers why an attempt failed; the row stays pending while Temporal still has retries left. */
export async function recordAttemptError(db: Db, row: ClaimedRow, error: string, now: Date): Promise<void> {
  await db
    .update(notifications)
    .set({ lastError: error.slice(0, 1000), updatedAt: now })
    .where(
      and(eq(notifications.id, row.id), eq(notifications.generation, row.generation), ne(notifications.status, 'sent')),
    );
}

/** The provider accepted: the row becomes `sent` and `notification.sent` joins the timeline, in one statement. */
export async function markSent(
  db: Db,
  key: NotificationKey,
  row: ClaimedRow,
  providerMessageId: string,
  now: Date,
): Promise<void> {
  const at = now.toISOString();
  const event = noticeEvent(
    'notification.sent',
    key,
    {
      kind: key.kind,
      channel: key.channel,
      generation: key.generation,
      messageId: row.messageId,
      recipient: row.recipient,
      attempts: row.attempts,
      providerMessageId,
    },
    now,
  );
  await db.execute(sql`
    with n as (
      update ${notifications} set status = 'sent', provider_message_id = ${providerMessageId}, sent_at = ${at}::timestamptz, last_error = null, updated_at = ${at}::timestamptz
       where id = ${row.id} and generation = ${key.generation}),
    ${eventCte('e', event)}
    select 1`);
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
    await recordEvent(
      tx,
      noticeEvent(
        'notification.failed',
        key,
        { kind: key.kind, channel: key.channel, generation: key.generation, error: error.slice(0, 500) },
        now,
      ),
    );
  });
}

/** A channel the customer chose but cannot be used (no phone, no webhook configured): recorded, not retried. */
export async function markSkipped(db: Db, key: NotificationKey, reason: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const inserted = await tx
      .insert(notifications)
      .values({
        orderId: key.orderId,
        kind: key.kind,
        channel: key.channel,
        recipient: '',
        generation: key.generation,
        status: 'failed',
        lastError: `skipped: ${reason}`,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning({ id: notifications.id });
    if (inserted.length === 0) return;
    await recordEvent(
      tx,
      noticeEvent(
        'notification.skipped',
        key,
        { kind: key.kind, channel: key.channel, generation: key.generation, reason },
        now,
      ),
    );
  });
}

/** An admin's resend: moves the row to the new generation (so older retries stand down) and records who asked. */
export async function beginResend(
  db: Db,
  key: NotificationKey,
  requestedBy: string | undefined,
  now: Date,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(notifications)
      .set({
        generation: key.generation,
        status: 'pending',
        attempts: 0,
        providerMessageId: null,
        lastError: null,
        sentAt: null,
        updatedAt: now,
      })
      .where(and(rowOf(key), lt(notifications.generation, key.generation)));
    await recordEvent(
      tx,
      noticeEvent(
        'notification.resent',
        key,
        { kind: key.kind, channel: key.channel, generation: key.generation, requestedBy: requestedBy ?? null },
        now,
      ),
    );
  });
}
