/**
 * Outgoing event webhooks: one long-lived dispatcher per enabled subscription claims the order events it matches
 * from the outbox (order_events) into the delivery log and delivers them one at a time, oldest first, each attempt
 * an activity retried by Temporal's policy. It ends when the subscription is disabled or deleted; redelivery is a
 * workflow of its own that sends one logged event once. Neither is part of any checkout, so delivery never holds up
 * or undoes an order.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineSignal,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  WEBHOOK_ROUNDS_PER_RUN,
  WEBHOOK_SUBSCRIPTION_DISABLED,
  WEBHOOK_SUBSCRIPTION_GONE,
  WEBHOOK_WAKE_SIGNAL,
  type WebhookAttemptResult,
  type WebhookDispatchInput,
  type WebhookDispatchResult,
  type WebhookRedeliverInput,
} from '../contract';

type Activities = ReturnType<typeof createActivities>;

const ENDING = [WEBHOOK_SUBSCRIPTION_DISABLED, WEBHOOK_SUBSCRIPTION_GONE];

/** Claims, settings and bookkeeping in our own database: retried for as long as the database is away. */
const WEBHOOK_BOOKKEEPING: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' }, // no maximumAttempts: unlimited
};
/** The admin's email about a disabled subscription: an SMTP outage of about 8.5 minutes is ridden out. */
const WEBHOOK_ADMIN_EMAIL: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 10 },
};

const books = proxyActivities<Activities>(WEBHOOK_BOOKKEEPING);
const email = proxyActivities<Activities>(WEBHOOK_ADMIN_EMAIL);

export const webhookWake = defineSignal(WEBHOOK_WAKE_SIGNAL);

const failureType = (err: unknown): string | undefined =>
  err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? (err.cause.type ?? undefined) : undefined;

/** Delivers a subscription's events in event order until it is disabled or deleted, continuing as new now and then. */
export async function webhookDispatcher(input: WebhookDispatchInput): Promise<WebhookDispatchResult> {
  let woken = false;
  setHandler(webhookWake, () => {
    woken = true;
  });
  const settings = await books.webhookDispatchSettings();
  // The delivery policy comes from configuration: an event is retried (no maximumAttempts) until it succeeds or the
  // activity disables the subscription after WEBHOOK_DISABLE_AFTER_FAILURES consecutive failures.
  const { deliverWebhook } = proxyActivities<Activities>({
    startToCloseTimeout: settings.attemptTimeout,
    retry: { ...settings.retry, nonRetryableErrorTypes: ENDING },
  });
  const { subscriptionId } = input;
  let cursor = input.cursor;
  let delivered = 0;
  for (let round = 0; round < WEBHOOK_ROUNDS_PER_RUN && !workflowInfo().continueAsNewSuggested; round++) {
    woken = false;
    const claim = await books.claimWebhookDeliveries({ subscriptionId, cursor });
    cursor = claim.cursor;
    if (claim.state !== 'active') return { ended: claim.state, delivered };
    for (const delivery of claim.deliveries) {
      try {
        await deliverWebhook({ subscriptionId, deliveryId: delivery.id });
        delivered++;
      } catch (err) {
        const type = failureType(err);
        if (type === WEBHOOK_SUBSCRIPTION_GONE) return { ended: 'gone', delivered };
        if (type !== WEBHOOK_SUBSCRIPTION_DISABLED) throw err;
        const reason = (err as ActivityFailure).cause?.message ?? 'disabled';
        const details = ((err as ActivityFailure).cause as ApplicationFailure).details ?? [];
        // Disabled by this attempt's failures (not by an admin): tell the admins.
        if (details[0] === 'auto') {
          await email.notifyWebhookDisabled({ subscriptionId });
          return { ended: 'auto_disabled', delivered, reason };
        }
        return { ended: 'disabled', delivered, reason };
      }
    }
    // Nothing left right now: wait for a wake-up, or the poll interval in case one was missed.
    if (claim.deliveries.length === 0) await condition(() => woken, settings.pollInterval);
  }
  return continueAsNew<typeof webhookDispatcher>({ subscriptionId, cursor });
}

/** An admin's redelivery: one attempt to send a logged event again, with its original webhook-id. */
export async function webhookRedeliver(input: WebhookRedeliverInput): Promise<WebhookAttemptResult> {
  const settings = await books.webhookDispatchSettings();
  const { redeliverWebhook } = proxyActivities<Activities>({
    startToCloseTimeout: settings.attemptTimeout,
    retry: { maximumAttempts: 1 },
  });
  return redeliverWebhook(input);
}
