/** Webhook subscriptions and their delivery log in the database, as the admin API reads and changes them. */
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { durationMs, webhookMessageId, type WebhookDeliveryStatus } from '../../contract';
import type { Db } from '../../db/client';
import { exactTimestamp } from '../../db/keyset';
import { orderEvents, webhookDeliveries, webhookSubscriptions } from '../../db/schema';
import { newWebhookSecret } from '../../lib/webhook-signing';
import { badRequest } from '../problem';

type Row = typeof webhookSubscriptions.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A subscription as the API shows it: never its secrets. */
export const subscriptionView = (r: Row) => ({
  id: r.id,
  url: r.url,
  events: r.events,
  description: r.description,
  enabled: r.enabled,
  disabledReason: r.disabledReason,
  consecutiveFailures: r.consecutiveFailures,
  previousSecretExpiresAt: iso(r.previousSecretExpiresAt),
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** The same, with the current secret: only in the answers to a create and a rotation. */
export const withSecret = (r: Row) => ({ ...subscriptionView(r), secret: r.secret });

export async function createSubscription(
  db: Db,
  input: { url: string; events: string[]; description?: string },
  now: Date,
): Promise<Row> {
  const [row] = await db
    .insert(webhookSubscriptions)
    .values({ ...input, secret: newWebhookSecret(), createdAt: now, updatedAt: now })
    .returning();
  return row!;
}

export async function getSubscription(db: Db, id: string): Promise<Row | undefined> {
  const [row] = await db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
  return row;
}

export interface SubscriptionChanges {
  url?: string;
  events?: string[];
  description?: string | null;
  enabled?: boolean;
}

/**
 * Applies an admin's changes. Enabling clears the failure run and the reason it was disabled (even when it was
 * already enabled: an admin's "enable" is a fresh start); disabling records that an admin did it.
 */
export async function updateSubscription(
  db: Db,
  id: string,
  changes: SubscriptionChanges,
  now: Date,
): Promise<Row | undefined> {
  const { enabled, ...rest } = changes;
  const status =
    enabled === true
      ? { enabled, consecutiveFailures: 0, disabledReason: null }
      : enabled === false
        ? { enabled, disabledReason: 'disabled by an admin' }
        : {};
  const [row] = await db
    .update(webhookSubscriptions)
    .set({ ...rest, ...status, updatedAt: now })
    .where(eq(webhookSubscriptions.id, id))
    .returning();
  return row;
}

export async function deleteSubscription(db: Db, id: string): Promise<boolean> {
  const rows = await db
    .delete(webhookSubscriptions)
    .where(eq(webhookSubscriptions.id, id))
    .returning({ id: webhookSubscriptions.id });
  return rows.length > 0;
}

/**
 * A new secret; the current one becomes the previous one, which keeps signing until `grace` from now. A rotation
 * during another's grace drops the older previous secret: at most two secrets ever sign.
 */
export async function rotateSecret(db: Db, id: string, grace: string, now: Date): Promise<Row | undefined> {
  const until = new Date(now.getTime() + durationMs(grace));
  const [row] = await db
    .update(webhookSubscriptions)
    .set({
      previousSecret: sql`${webhookSubscriptions.secret}`,
      previousSecretExpiresAt: until,
      secret: newWebhookSecret(),
      updatedAt: now,
    })
    .where(eq(webhookSubscriptions.id, id))
    .returning();
  return row;
}

function invalidCursor(): never {
  throw badRequest('The cursor is invalid; pass the nextCursor of a previous page.', [
    { path: 'cursor', message: 'invalid cursor' },
  ]);
}

const SUBSCRIPTION_CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f-]{36})$/;
const DELIVERY_CURSOR = /^d:([1-9]\d{0,15})$/;
const decode = (raw: string) => Buffer.from(raw, 'base64url').toString('utf8');
const encode = (text: string) => Buffer.from(text).toString('base64url');

/** Subscriptions, newest first; keyset on (created_at, id), created_at to the microsecond. */
export async function listSubscriptions(db: Db, opts: { limit: number; cursor?: string }) {
  const where: SQL[] = [];
  if (opts.cursor) {
    const [, at, id] = SUBSCRIPTION_CURSOR.exec(decode(opts.cursor)) ?? invalidCursor();
    where.push(
      sql`(${webhookSubscriptions.createdAt}, ${webhookSubscriptions.id}) < (${at}::timestamptz, ${id}::uuid)`,
    );
  }
  const rows = await db
    .select({ row: webhookSubscriptions, at: exactTimestamp(webhookSubscriptions.createdAt) })
    .from(webhookSubscriptions)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(webhookSubscriptions.createdAt), desc(webhookSubscriptions.id))
    .limit(opts.limit + 1);
  const page = rows.slice(0, opts.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => subscriptionView(r.row)),
    nextCursor: rows.length > opts.limit && last ? encode(`${last.at}|${last.row.id}`) : null,
  };
}

/** A subscription's delivery log, newest first; keyset on the delivery id. */
export async function listDeliveries(
  db: Db,
  subscriptionId: string,
  opts: { status?: WebhookDeliveryStatus; limit: number; cursor?: string },
) {
  const where: SQL[] = [eq(webhookDeliveries.subscriptionId, subscriptionId)];
  if (opts.status) where.push(eq(webhookDeliveries.status, opts.status));
  if (opts.cursor) {
    const [, before] = DELIVERY_CURSOR.exec(decode(opts.cursor)) ?? invalidCursor();
    where.push(sql`${webhookDeliveries.id} < ${Number(before)}`);
  }
  const rows = await db
    .select({ d: webhookDeliveries, type: orderEvents.type, orderId: orderEvents.orderId })
    .from(webhookDeliveries)
    .innerJoin(orderEvents, eq(orderEvents.id, webhookDeliveries.eventId))
    .where(and(...where))
    .orderBy(desc(webhookDeliveries.id))
    .limit(opts.limit + 1);
  const page = rows.slice(0, opts.limit);
  const last = page.at(-1);
  return {
    items: page.map(({ d, type, orderId }) => ({
      id: d.id,
      eventId: d.eventId,
      webhookId: webhookMessageId(d.eventId),
      eventType: type,
      orderId,
      status: d.status,
      attempts: d.attempts,
      lastStatusCode: d.lastStatusCode,
      lastError: d.lastError,
      lastAttemptAt: iso(d.lastAttemptAt),
      deliveredAt: iso(d.deliveredAt),
      createdAt: d.createdAt.toISOString(),
    })),
    nextCursor: rows.length > opts.limit && last ? encode(`d:${last.d.id}`) : null,
  };
}
