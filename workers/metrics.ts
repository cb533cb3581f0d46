/**
 * The worker's business metrics (docs/observability.md). Workflows are deterministic and replay, so nothing is counted
 * in workflow code: an activity interceptor counts what the checkout's activities did (confirmOrder, closeOrder,
 * compensations, payment attempts, notifications), and a gauge asks the database at scrape time how many orders wait
 * for payment past their deadline. The Temporal SDK's own metrics come from its Runtime (installTemporalRuntime).
 */
import { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { Counter, Gauge, Histogram } from 'prom-client';
import { durationMs, NOTIFICATION_CHANNELS, NOTIFICATION_KINDS } from '../contract';
import type { Db } from '../db/client';
import { parseOneRow, parseRows } from '../db/rows';
import { orders } from '../db/schema';
import { createRegistry } from '../lib/metrics';

export const workerRegistry = createRegistry('worker');

/** The reasons an order fails with (workflows/checkout.ts abortFor); anything else is counted as `other`. */
export const FAILURE_REASONS = [
  'out_of_stock',
  'payment_declined',
  'payment_confirmation_timeout',
  'invalid_cart',
  'checkout_error',
  'other',
] as const;
export const COMPENSATIONS = ['closeOrder', 'releaseInventory', 'reversePayment'] as const;
const PAYMENT_ACTIVITIES = ['authorizePayment', 'confirmPayment', 'capturePayment', 'reversePayment'];

export const ordersConfirmed = new Counter({
  name: 'orderly_orders_confirmed_total',
  help: 'Orders confirmed (payment captured, order.confirmed written).',
  registers: [workerRegistry],
});

export const ordersFailed = new Counter({
  name: 'orderly_orders_failed_total',
  help: 'Orders that ended failed, by reason (payment_declined covers every decline code).',
  labelNames: ['reason'] as const,
  registers: [workerRegistry],
});

export const ordersCancelled = new Counter({
  name: 'orderly_orders_cancelled_total',
  help: 'Orders cancelled (by the customer, an admin or an operator), before or after confirmation.',
  registers: [workerRegistry],
});

export const compensationsRun = new Counter({
  name: 'orderly_compensations_total',
  help: 'Compensations that completed, by compensation (closeOrder, releaseInventory, reversePayment).',
  labelNames: ['compensation'] as const,
  registers: [workerRegistry],
});

export const compensationsFailed = new Counter({
  name: 'orderly_compensations_failed_total',
  help: 'Compensations that ran out of retries and were left to an operator (compensation.failed), by compensation.',
  labelNames: ['compensation'] as const,
  registers: [workerRegistry],
});

export const paymentRetries = new Counter({
  name: 'orderly_payment_retries_total',
  help: 'Payment activity attempts after the first (attempt > 1), by activity.',
  labelNames: ['activity'] as const,
  registers: [workerRegistry],
});

export const notificationsSent = new Counter({
  name: 'orderly_notifications_sent_total',
  help: 'Notifications delivered (emails: channel="email"), by channel and kind.',
  labelNames: ['channel', 'kind'] as const,
  registers: [workerRegistry],
});

export const notificationsFailed = new Counter({
  name: 'orderly_notifications_failed_total',
  help: 'Notifications given up after their retries (notification.failed), by channel and kind.',
  labelNames: ['channel', 'kind'] as const,
  registers: [workerRegistry],
});

export const checkoutDuration = new Histogram({
  name: 'orderly_checkout_duration_seconds',
  help: 'From the order being accepted to its checkout ending confirmed, failed or cancelled, by outcome.',
  labelNames: ['outcome'] as const,
  buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 1800, 3600],
  registers: [workerRegistry],
});

export const WEBHOOK_OUTCOMES = ['delivered', 'failed', 'refused'] as const;
const WEBHOOK_ACTIVITIES = ['deliverWebhook', 'redeliverWebhook'];

export const webhookAttempts = new Counter({
  name: 'orderly_webhook_deliveries_total',
  help: 'Webhook delivery attempts (retries and redeliveries included), by outcome: delivered (2xx), failed, refused (address not allowed).',
  labelNames: ['outcome'] as const,
  registers: [workerRegistry],
});
for (const outcome of WEBHOOK_OUTCOMES) webhookAttempts.labels(outcome).inc(0);

/** One webhook attempt's outcome from how its activity ended (workflows/webhooks.ts). */
function webhookOutcome(result: unknown, err: unknown): (typeof WEBHOOK_OUTCOMES)[number] | undefined {
  if (err === undefined) {
    if (result === 'already_delivered') return undefined;
    return (result as { delivered?: boolean } | undefined)?.delivered === false ? 'failed' : 'delivered';
  }
  const type = (err as { type?: string }).type;
  if (type === 'WebhookAddressRefused') return 'refused';
  // A subscription found disabled before any request was sent is no attempt.
  return type === 'WebhookAttemptFailed' || (err as { details?: unknown[] }).details?.[0] === 'auto'
    ? 'failed'
    : undefined;
}

// Known label values start at 0, so rate() and the alerts see a series before the first event.
for (const reason of FAILURE_REASONS) ordersFailed.labels(reason).inc(0);
for (const compensation of COMPENSATIONS) {
  compensationsRun.labels(compensation).inc(0);
  compensationsFailed.labels(compensation).inc(0);
}
for (const activity of PAYMENT_ACTIVITIES) paymentRetries.labels(activity).inc(0);
for (const channel of NOTIFICATION_CHANNELS) {
  for (const kind of NOTIFICATION_KINDS) {
    notificationsSent.labels(channel, kind).inc(0);
    notificationsFailed.labels(channel, kind).inc(0);
  }
}

/** A failure reason as a bounded label: `payment_declined:card_declined` is `payment_declined`. */
export function failureReasonLabel(reason: string): (typeof FAILURE_REASONS)[number] {
  const head = reason.split(':')[0] as (typeof FAILURE_REASONS)[number];
  return FAILURE_REASONS.includes(head) ? head : 'other';
}

const Timing = z.object({ createdSeconds: z.coerce.number(), confirmedSeconds: z.coerce.number().nullable() });

/** Seconds since the order was created (accepted), and whether it had been confirmed before. */
async function orderTiming(db: Db, orderId: string) {
  const [row] = parseRows(
    await db.execute(sql`
      select extract(epoch from created_at) as "createdSeconds", extract(epoch from confirmed_at) as "confirmedSeconds"
        from ${orders} where id = ${orderId}::uuid`),
    Timing,
  );
  return row;
}

type Input = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : 'unknown');

/** Counts one activity execution once it has completed (or, for attempts, once it starts). */
class BusinessMetrics implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly db: Db,
    private readonly ctx: Context,
  ) {}

  async execute(input: { args: unknown[] }, next: (input: never) => Promise<unknown>): Promise<unknown> {
    const { activityType, attempt } = this.ctx.info;
    if (attempt > 1 && PAYMENT_ACTIVITIES.includes(activityType)) paymentRetries.labels(activityType).inc();
    if (WEBHOOK_ACTIVITIES.includes(activityType)) {
      let result: unknown;
      try {
        result = await next(input as never);
      } catch (err) {
        const outcome = webhookOutcome(undefined, err);
        if (outcome) webhookAttempts.labels(outcome).inc();
        throw err;
      }
      const outcome = webhookOutcome(result, undefined);
      if (outcome) webhookAttempts.labels(outcome).inc();
      return result;
    }
    const result = await next(input as never);
    const arg = (input.args[0] ?? {}) as Input;
    try {
      await this.completed(activityType, arg, result);
    } catch {
      // Metrics never fail an activity: a lost observation is better than a retried payment.
    }
    return result;
  }

  private async completed(activityType: string, arg: Input, result: unknown): Promise<void> {
    switch (activityType) {
      case 'confirmOrder': {
        ordersConfirmed.inc();
        const timing = await orderTiming(this.db, str(arg.orderId));
        if (timing) checkoutDuration.labels('confirmed').observe(Date.now() / 1000 - timing.createdSeconds);
        break;
      }
      case 'closeOrder': {
        compensationsRun.labels('closeOrder').inc();
        if (arg.status === 'failed') ordersFailed.labels(failureReasonLabel(str(arg.reason))).inc();
        else ordersCancelled.inc();
        const timing = await orderTiming(this.db, str(arg.orderId));
        // A cancel after confirmation ends the order, not the checkout: its checkout was timed when it confirmed.
        if (timing && timing.confirmedSeconds === null)
          checkoutDuration.labels(str(arg.status)).observe(Date.now() / 1000 - timing.createdSeconds);
        break;
      }
      case 'releaseInventory':
      case 'reversePayment':
        compensationsRun.labels(activityType).inc();
        break;
      case 'recordCompensationFailure':
        compensationsFailed.labels(str(arg.compensation)).inc();
        break;
      case 'sendOrderNotification':
        if ((result as { decision?: string } | undefined)?.decision === 'send')
          notificationsSent.labels(str(arg.channel), str(arg.kind)).inc();
        break;
      case 'recordNotificationFailure':
        notificationsFailed.labels(str(arg.channel), str(arg.kind)).inc();
        break;
    }
  }
}

/** The worker's activity interceptor that feeds the counters above. */
export function businessMetricsInterceptor(db: Db): ActivityInterceptorsFactory {
  return (ctx) => ({ inbound: new BusinessMetrics(db, ctx) });
}

/**
 * Orders still awaiting payment past their confirmation deadline (accepted + PAYMENT_CONFIRMATION_TIMEOUT), read from
 * the database when Prometheus scrapes: the checkout should have failed them at the deadline, so any is stuck.
 */
export function registerOverdueGauge(db: Db, paymentConfirmationTimeout: string): void {
  const timeoutSeconds = durationMs(paymentConfirmationTimeout) / 1000;
  workerRegistry.removeSingleMetric('orderly_orders_awaiting_payment_overdue');
  new Gauge({
    name: 'orderly_orders_awaiting_payment_overdue',
    help: 'Orders awaiting payment confirmation longer than PAYMENT_CONFIRMATION_TIMEOUT after they were accepted.',
    registers: [workerRegistry],
    async collect() {
      const row = parseOneRow(
        await db.execute(sql`
          select count(*)::int as n from ${orders}
           where status = 'awaiting_payment' and created_at < now() - make_interval(secs => ${timeoutSeconds})`),
        z.object({ n: z.coerce.number() }),
      );
      this.set(row.n);
    },
  });
}
