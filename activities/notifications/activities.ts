/**
 * Order notifications, effectively once per (order, kind, channel, generation): claim the tracking row, send with a
 * stable Message-ID, mark it sent with its timeline event. Retries come from the workflow's retry policy.
 */
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../deps';
import {
  CHANNEL_NOT_CONFIGURED,
  NOTIFICATION_REJECTED,
  ORDER_NOT_FOUND,
  RECIPIENT_MISSING,
  type ChannelName,
  type NotifyOrderInput,
  type ResendNotificationInput,
} from '../../contract';
import { notificationMessageId, PermanentSendError, type NotificationChannel, type OutgoingMessage } from './channel';
import { renderNotification } from './templates';
import {
  beginResend,
  claimWithOrder,
  loadOrder,
  markFailed,
  markSent,
  markSkipped,
  recordAttemptError,
  type ClaimDecision,
  type NotificationKey,
  type OrderNotice,
} from './store';

export interface ChannelNotificationInput extends NotifyOrderInput {
  /** Which channel this call delivers on; email when absent. */
  channel?: ChannelName;
}

export interface SendOutcome {
  decision: ClaimDecision;
  messageId: string | null;
}

export interface NotificationFailureInput extends ChannelNotificationInput {
  error: string;
}

function keyOf(input: ChannelNotificationInput): NotificationKey {
  return {
    orderId: input.orderId,
    kind: input.kind,
    channel: input.channel ?? 'email',
    generation: input.generation ?? 0,
  };
}

/** Inside an activity, a worker shutdown cancels the attempt; this lets the send stop waiting (the provider may still accept). */
function cancellation(): { signal?: AbortSignal; cancelled?: Promise<never> } {
  try {
    const ctx = Context.current();
    return { signal: ctx.cancellationSignal, cancelled: ctx.cancelled };
  } catch {
    return {}; // called outside an activity (scripts, direct tests)
  }
}

export function createNotificationActivities(deps: ActivityDeps) {
  const now = () => deps.clock();

  /** The channel's address for an order (claimWithOrder picks it the same way, in SQL). */
  const recipientFor = (channel: ChannelName, order: OrderNotice) => {
    if (channel === 'email') return order.view.email;
    return channel === 'sms' ? order.prefs.phone : order.prefs.pushToken;
  };

  return {
    /** Decides which channels to use for this order (customer preferences); records the ones that cannot be used. */
    async planOrderNotification(input: NotifyOrderInput): Promise<ChannelName[]> {
      const order = await loadOrder(deps.db, input.orderId);
      if (!order) throw ApplicationFailure.nonRetryable(`order ${input.orderId} does not exist`, ORDER_NOT_FOUND);
      const { prefs } = order;
      const usable: ChannelName[] = [];
      for (const channel of prefs.channels.length ? prefs.channels : (['email'] as ChannelName[])) {
        const missing = !deps.channels[channel]
          ? `the ${channel} channel is not configured`
          : !recipientFor(channel, order)
            ? `the customer has no ${channel === 'sms' ? 'phone number' : channel === 'push' ? 'push token' : 'address'} on file`
            : undefined;
        if (missing) await markSkipped(deps.db, keyOf({ ...input, channel }), missing, now());
        else usable.push(channel);
      }
      return usable;
    },

    /** Sends one notification on one channel, at most once per generation unless the process dies mid-send. */
    async sendOrderNotification(input: ChannelNotificationInput): Promise<SendOutcome> {
      const key = keyOf(input);
      const channel: NotificationChannel | undefined = deps.channels[key.channel];
      if (!channel)
        throw ApplicationFailure.nonRetryable(`the ${key.channel} channel is not configured`, CHANNEL_NOT_CONFIGURED);
      const messageId = notificationMessageId(key.orderId, key.kind, key.generation, key.channel);
      // The order and the claim on its tracking row come back from one statement (one round trip).
      const claim = await claimWithOrder(deps.db, key, messageId, now());
      if (claim.decision === 'no_order')
        throw ApplicationFailure.nonRetryable(`order ${key.orderId} does not exist`, ORDER_NOT_FOUND);
      if (claim.decision === 'no_recipient')
        throw ApplicationFailure.nonRetryable(
          `no ${key.channel} recipient for order ${key.orderId}`,
          RECIPIENT_MISSING,
        );
      if (claim.decision !== 'send') {
        log.info('notification not sent again', { ...key, decision: claim.decision });
        return { decision: claim.decision, messageId: claim.messageId };
      }
      const { order, recipient, row } = claim;

      const rendered = renderNotification(input.kind, { order: order.view, publicBaseUrl: deps.config.publicBaseUrl });
      const message: OutgoingMessage = { ...rendered, messageId, to: recipient, orderId: key.orderId, kind: key.kind };
      const { signal, cancelled } = cancellation();
      let providerMessageId: string;
      try {
        const sending = channel.send(message, signal);
        ({ providerMessageId } = await (cancelled ? Promise.race([sending, cancelled]) : sending));
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        await recordAttemptError(deps.db, row, text, now());
        if (err instanceof PermanentSendError) throw ApplicationFailure.nonRetryable(text, NOTIFICATION_REJECTED);
        throw err;
      }
      await markSent(deps.db, key, row, providerMessageId, now());
      log.info('notification sent', { ...key, messageId, attempt: row.attempts });
      return { decision: 'send', messageId };
    },

    /** Called by the workflow once retries are exhausted: status failed plus `notification.failed`. */
    async recordNotificationFailure(input: NotificationFailureInput): Promise<void> {
      await markFailed(deps.db, keyOf(input), input.error, now());
    },

    /** First step of an admin resend: new generation on the row and `notification.resent` in the timeline. */
    async beginNotificationResend(input: ResendNotificationInput): Promise<void> {
      await beginResend(deps.db, keyOf(input), input.requestedBy, now());
    },
  };
}
