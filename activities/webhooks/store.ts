/**
 * The webhook delivery log in SQL: claiming a subscription's matching order events from the outbox (order_events)
 * into webhook_deliveries, reading one attempt's inputs, and recording each attempt with the subscription's run of
 * consecutive failures, which disables it once it is long enough.
 */
import { and, asc, eq, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { WEBHOOK_CLAIM_BATCH, WEBHOOK_CLAIM_LOOKBACK, type WebhookClaim, type WebhookEventRow } from '../../contract';
import type { Db, Tx } from '../../db/client';
import { parseOneRow } from '../../db/rows';
import { orderEvents, webhookDeliveries, webhookSubscriptions } from '../../db/schema';

const Start = z.object({ exists: z.boolean(), enabled: z.boolean(), cursor: z.coerce.number() });

/**
 * Where a dispatcher with no cursor starts: after the last event it logged, or, for a new subscription, just before
 * the first event written since it was created (events before then are not its to deliver).
 */
async function startingCursor(db: Db, subscriptionId: string) {
  return parseOneRow(
    await db.execute(sql`
      select exists (select 1 from ${webhookSubscriptions} where id = ${subscriptionId}::uuid) as "exists",
             coalesce((select enabled from ${webhookSubscriptions} where id = ${subscriptionId}::uuid), false) as enabled,
             coalesce((select max(event_id) from ${webhookDeliveries} where subscription_id = ${subscriptionId}::uuid),
                      (select min(id) - 1 from ${orderEvents}
                        where created_at >= (select created_at from ${webhookSubscriptions} where id = ${subscriptionId}::uuid)),
                      (select max(id) from ${orderEvents}),
                      0) as cursor`),
    Start,
  );
}

const Claimed = z.object({ top: z.coerce.number().nullable(), taken: z.coerce.number() });

/**
 * Logs the next matching events after `cursor` as pending deliveries (at most WEBHOOK_CLAIM_BATCH), and answers the
 * subscription's undelivered rows, oldest event first. The anti-join looks WEBHOOK_CLAIM_LOOKBACK ids below the
 * cursor again, so an event whose transaction committed late is logged rather than skipped.
 */
export async function claimDeliveries(db: Db, subscriptionId: string, cursor?: number): Promise<WebhookClaim> {
  const start = await startingCursor(db, subscriptionId);
  if (!start.exists) return { state: 'gone', deliveries: [], cursor: cursor ?? 0 };
  if (!start.enabled) return { state: 'disabled', deliveries: [], cursor: cursor ?? start.cursor };
  const after = cursor ?? start.cursor;
  const claimed = parseOneRow(
    await db.execute(sql`
      with sub as (select id, events, created_at from ${webhookSubscriptions} where id = ${subscriptionId}::uuid),
      candidates as (
        select e.id from ${orderEvents} e, sub
         where e.id > ${after - WEBHOOK_CLAIM_LOOKBACK} and e.created_at >= sub.created_at
           and ('*' = any(sub.events) or e.type = any(sub.events))
           and not exists (select 1 from ${webhookDeliveries} d where d.subscription_id = sub.id and d.event_id = e.id)
         order by e.id limit ${WEBHOOK_CLAIM_BATCH}),
      taken as (
        insert into ${webhookDeliveries} (subscription_id, event_id, status)
        select ${subscriptionId}::uuid, id, 'pending' from candidates
        on conflict do nothing returning event_id)
      select (select max(id) from ${orderEvents}) as top, (select count(*) from candidates) as taken`),
    Claimed,
  );
  // A full batch may have left newer events behind: the cursor moves only as far as this batch reached.
  const next = claimed.taken >= WEBHOOK_CLAIM_BATCH ? after : Math.max(after, claimed.top ?? after);
  const deliveries = await db
    .select({ id: webhookDeliveries.id, eventId: webhookDeliveries.eventId })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.subscriptionId, subscriptionId), ne(webhookDeliveries.status, 'delivered')))
    .orderBy(asc(webhookDeliveries.eventId))
    .limit(WEBHOOK_CLAIM_BATCH);
  return { state: 'active', deliveries, cursor: next };
}

/** Everything one attempt needs: where to, the secrets, the event, and whether it is still to do. */
export async function loadAttempt(db: Db, subscriptionId: string, deliveryId: number) {
  const [row] = await db
    .select({
      url: webhookSubscriptions.url,
      secret: webhookSubscriptions.secret,
      previousSecret: webhookSubscriptions.previousSecret,
      previousSecretExpiresAt: webhookSubscriptions.previousSecretExpiresAt,
      enabled: webhookSubscriptions.enabled,
      status: webhookDeliveries.status,
      event: {
        id: orderEvents.id,
        orderId: orderEvents.orderId,
        type: orderEvents.type,
        data: orderEvents.data,
        createdAt: orderEvents.createdAt,
      },
    })
    .from(webhookDeliveries)
    .innerJoin(webhookSubscriptions, eq(webhookSubscriptions.id, webhookDeliveries.subscriptionId))
    .innerJoin(orderEvents, eq(orderEvents.id, webhookDeliveries.eventId))
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.subscriptionId, subscriptionId)));
  return row as (Omit<NonNullable<typeof row>, 'event'> & { event: WebhookEventRow }) | undefined;
}

export interface AttemptRecord {
  subscriptionId: string;
  deliveryId: number;
  statusCode: number | null;
  error: string | null;
  at: Date;
}

/**
 * A delivered attempt: the row is delivered and, for the dispatcher's attempts (`resetRun`), the subscription's run
 * of failures ends. A redelivery leaves the run alone: the dispatcher may still be retrying another event.
 */
export async function recordDelivered(db: Db, rec: AttemptRecord, resetRun: boolean): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(webhookDeliveries)
      .set({
        status: 'delivered',
        attempts: sql`${webhookDeliveries.attempts} + 1`,
        lastStatusCode: rec.statusCode,
        lastError: null,
        lastAttemptAt: rec.at,
        deliveredAt: sql`coalesce(${webhookDeliveries.deliveredAt}, ${rec.at.toISOString()}::timestamptz)`,
      })
      .where(eq(webhookDeliveries.id, rec.deliveryId));
    if (resetRun)
      await tx
        .update(webhookSubscriptions)
        .set({ consecutiveFailures: 0 })
        .where(and(eq(webhookSubscriptions.id, rec.subscriptionId), ne(webhookSubscriptions.consecutiveFailures, 0)));
  });
}

export type FailureOutcome =
  { state: 'retry'; failures: number } | { state: 'auto_disabled'; reason: string } | { state: 'already_disabled' };

/**
 * A failed attempt of the dispatcher: counted on the row and in the subscription's run. When the run reaches
 * `disableAfter` (or `disableNow` names a reason, such as a 410 Gone), the subscription is disabled with the reason
 * and this row is marked failed; later rows stay pending for when an admin enables it again.
 */
export async function recordFailed(
  db: Db,
  rec: AttemptRecord & { error: string },
  opts: { disableAfter: number; disableNow?: string },
): Promise<FailureOutcome> {
  return db.transaction(async (tx) => {
    await noteFailedAttempt(tx, rec);
    const [sub] = await tx
      .update(webhookSubscriptions)
      .set({ consecutiveFailures: sql`${webhookSubscriptions.consecutiveFailures} + 1` })
      .where(and(eq(webhookSubscriptions.id, rec.subscriptionId), eq(webhookSubscriptions.enabled, true)))
      .returning({ failures: webhookSubscriptions.consecutiveFailures });
    if (!sub) return { state: 'already_disabled' } as const;
    if (sub.failures < opts.disableAfter && !opts.disableNow)
      return { state: 'retry', failures: sub.failures } as const;
    const reason =
      opts.disableNow ?? `${sub.failures} consecutive failed attempts; the last: ${rec.error.slice(0, 300)}`;
    await tx
      .update(webhookSubscriptions)
      .set({ enabled: false, disabledReason: reason, updatedAt: rec.at })
      .where(eq(webhookSubscriptions.id, rec.subscriptionId));
    await tx.update(webhookDeliveries).set({ status: 'failed' }).where(eq(webhookDeliveries.id, rec.deliveryId));
    return { state: 'auto_disabled', reason } as const;
  });
}

/** A failed attempt on its row: one more attempt, its answer and error. A failed redelivery is noted this way only. */
export async function noteFailedAttempt(db: Db | Tx, rec: AttemptRecord & { error: string }): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      lastStatusCode: rec.statusCode,
      lastError: rec.error.slice(0, 1000),
      lastAttemptAt: rec.at,
    })
    .where(eq(webhookDeliveries.id, rec.deliveryId));
}

/** What the admins' email about a disabled subscription says. */
export async function loadDisabled(db: Db, subscriptionId: string) {
  const [row] = await db
    .select({
      url: webhookSubscriptions.url,
      description: webhookSubscriptions.description,
      enabled: webhookSubscriptions.enabled,
      disabledReason: webhookSubscriptions.disabledReason,
      updatedAt: webhookSubscriptions.updatedAt,
    })
    .from(webhookSubscriptions)
    .where(eq(webhookSubscriptions.id, subscriptionId));
  return row;
}
