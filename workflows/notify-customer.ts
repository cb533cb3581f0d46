/**
 * Telling the customer about an order: plan the channels they chose, then deliver on each with that channel's own
 * retry policy. Shared by the checkout workflow (which runs it as part of the order, never letting it fail or hold up
 * the order) and the notifyOrder and resendNotification workflows. Not a workflow itself: workflows/index.ts does not
 * export this module, so none of these functions is registered as a workflow type.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import { proxyLocalSteps } from './local-activities';
import type { createActivities } from '../activities';
import {
  CHANNEL_NOT_CONFIGURED,
  NOTIFICATION_REJECTED,
  ORDER_NOT_FOUND,
  RECIPIENT_MISSING,
  type ChannelName,
  type NotifyOrderInput,
} from '../contract';

type Activities = ReturnType<typeof createActivities>;

const NON_RETRYABLE = [NOTIFICATION_REJECTED, RECIPIENT_MISSING, ORDER_NOT_FOUND, CHANNEL_NOT_CONFIGURED];

/** Email: an SMTP outage of about 8.5 minutes is ridden out (1s, 2s, 4s ... 256s between 10 attempts), then failed. */
export const EMAIL_RETRY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '5m',
    maximumAttempts: 10,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
};
/** SMS and push webhooks: same shape, fewer attempts (a late SMS is worth less than a late email). */
export const WEBHOOK_RETRY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '2m',
    maximumAttempts: 6,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
};
/** Bookkeeping in our own database (plan, record failure, begin resend): quick, retried until the database is back. */
export const BOOKKEEPING_RETRY: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 30,
    nonRetryableErrorTypes: [ORDER_NOT_FOUND],
  },
};

const email = proxyActivities<Activities>(EMAIL_RETRY);
const webhook = proxyActivities<Activities>(WEBHOOK_RETRY);
export const books = proxyActivities<Activities>(BOOKKEEPING_RETRY);
/**
 * The same calls as local activities, for checkouts from LOCAL_STEPS_VERSION on: run inside the checkout's workflow
 * task with the same presets (backoffs over LOCAL_RETRY_THRESHOLD wait on a server timer). Claim-before-send keeps a repeat after a
 * worker's crash from sending twice, as it does for a regular activity's retry.
 */
const local = {
  email: proxyLocalSteps<Activities>(EMAIL_RETRY),
  webhook: proxyLocalSteps<Activities>(WEBHOOK_RETRY),
  books: proxyLocalSteps<Activities>(BOOKKEEPING_RETRY),
};
const regular = { email, webhook, books };

/** How the calls run: as regular activities (the default) or as local ones (the checkout from version 4). */
export interface NotifyOptions {
  local?: boolean;
}

export type DeliveryResult = 'sent' | 'already_sent' | 'superseded' | 'failed';
export type DeliveryResults = Partial<Record<ChannelName, DeliveryResult>>;

function failureText(err: ActivityFailure): string {
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && cause.type) return `${cause.type}: ${cause.message}`;
  return cause?.message ?? err.message;
}

/** One channel: send with that channel's retry policy; when it gives up, record the failure and carry on. */
export async function deliver(
  input: NotifyOrderInput,
  channel: ChannelName,
  opts: NotifyOptions = {},
): Promise<DeliveryResult> {
  const acts = opts.local ? local : regular;
  const send = channel === 'email' ? acts.email.sendOrderNotification : acts.webhook.sendOrderNotification;
  try {
    const outcome = await send({ ...input, channel });
    return outcome.decision === 'send' ? 'sent' : outcome.decision;
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    await acts.books.recordNotificationFailure({ ...input, channel, error: failureText(err) });
    return 'failed';
  }
}

/**
 * Notifies the customer on every channel they chose, the channels in parallel. An order that does not exist tells
 * no one. Only bookkeeping that stays down past its retries (or a bug) rejects; a channel that fails is recorded.
 */
export async function notifyCustomer(input: NotifyOrderInput, opts: NotifyOptions = {}): Promise<DeliveryResults> {
  let channels: ChannelName[];
  try {
    channels = await (opts.local ? local : regular).books.planOrderNotification(input);
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === ORDER_NOT_FOUND)
      return {};
    throw err;
  }
  const results = await Promise.all(channels.map((channel) => deliver(input, channel, opts)));
  return Object.fromEntries(channels.map((channel, i) => [channel, results[i]]));
}
