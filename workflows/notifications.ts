/**
 * notifyOrder and resendNotification: deliver one order notification per channel, each channel on its own retry
 * policy, so a slow or failing channel never holds up an order or another channel. A notification that finally
 * fails is recorded (`notification.failed`) and the workflow completes normally: the order is never touched.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ChannelName } from '../activities/notifications/channel';
import type { NotificationKind, NotifyOrderInput } from './types';

type Activities = ReturnType<typeof createActivities>;

/** Email: an SMTP outage of about 8.5 minutes is ridden out (1s, 2s, 4s ... 256s between 10 attempts), then failed. */
export const EMAIL_RETRY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 10, nonRetryableErrorTypes: ['NotificationRejected', 'RecipientMissing', 'OrderNotFound', 'ChannelNotConfigured'] },
};
/** SMS and push webhooks: same shape, fewer attempts (a late SMS is worth less than a late email). */
export const WEBHOOK_RETRY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m', maximumAttempts: 6, nonRetryableErrorTypes: ['NotificationRejected', 'RecipientMissing', 'OrderNotFound', 'ChannelNotConfigured'] },
};
/** Bookkeeping in our own database (plan, record failure, begin resend): quick, retried until the database is back. */
export const BOOKKEEPING_RETRY: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 30, nonRetryableErrorTypes: ['OrderNotFound'] },
};

const email = proxyActivities<Activities>(EMAIL_RETRY);
const webhook = proxyActivities<Activities>(WEBHOOK_RETRY);
const books = proxyActivities<Activities>(BOOKKEEPING_RETRY);

export interface ResendNotificationInput {
  orderId: string;
  kind: NotificationKind;
  channel: ChannelName;
  /** The new generation (previous + 1): a new Message-ID, so the resend is a distinct message. */
  generation: number;
  /** Admin who asked, for the timeline. */
  requestedBy?: string;
}

export type DeliveryResult = 'sent' | 'already_sent' | 'superseded' | 'failed';

function failureText(err: ActivityFailure): string {
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && cause.type) return `${cause.type}: ${cause.message}`;
  return cause?.message ?? err.message;
}

/** One channel: send with that channel's retry policy; when it gives up, record the failure and carry on. */
async function deliver(input: NotifyOrderInput, channel: ChannelName): Promise<DeliveryResult> {
  const send = channel === 'email' ? email.sendOrderNotification : webhook.sendOrderNotification;
  try {
    const outcome = await send({ ...input, channel });
    return outcome.decision === 'send' ? 'sent' : outcome.decision;
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    await books.recordNotificationFailure({ ...input, channel, error: failureText(err) });
    return 'failed';
  }
}

/** Started by the checkout workflow as an abandoned child: notifies the customer on every channel they chose. */
export async function notifyOrder(input: NotifyOrderInput): Promise<Partial<Record<ChannelName, DeliveryResult>>> {
  let channels: ChannelName[];
  try {
    channels = await books.planOrderNotification(input);
  } catch (err) {
    // No such order: nothing to tell anyone. Anything else fails this workflow visibly (never the order).
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'OrderNotFound') return {};
    throw err;
  }
  const results = await Promise.all(channels.map((channel) => deliver(input, channel)));
  return Object.fromEntries(channels.map((channel, i) => [channel, results[i]]));
}

/** An admin's resend of one tracked notification: a new generation (new Message-ID) through the same activity. */
export async function resendNotification(input: ResendNotificationInput): Promise<DeliveryResult> {
  await books.beginNotificationResend(input);
  return deliver({ orderId: input.orderId, kind: input.kind, generation: input.generation }, input.channel);
}
