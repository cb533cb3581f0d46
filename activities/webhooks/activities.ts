/**
 * Webhook delivery activities: claim events into the log, deliver one logged event (one attempt per call; Temporal's
 * retry policy makes the next), redeliver one on an admin's request, and email the admins when a subscription is
 * disabled. Each attempt is recorded on its delivery row before the activity answers.
 */
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  durationMs,
  webhookMessageId,
  webhookPayload,
  WEBHOOK_SUBSCRIPTION_DISABLED,
  WEBHOOK_SUBSCRIPTION_GONE,
  type WebhookAttemptResult,
  type WebhookDeliverInput,
  type WebhookDispatchSettings,
  type WebhookRedeliverInput,
} from '../../contract';
import { signingSecrets, signWebhook } from '../../lib/webhook-signing';
import type { ActivityDeps } from '../deps';
import { webhookSender, type WebhookResponse, type WebhookSender } from './http';
import { claimDeliveries, loadAttempt, loadDisabled, noteFailedAttempt, recordDelivered, recordFailed } from './store';

/** A failed attempt Temporal retries; the type tells the metrics a refused address from a failed request. */
export const WEBHOOK_ATTEMPT_FAILED = 'WebhookAttemptFailed';
export const WEBHOOK_ADDRESS_REFUSED = 'WebhookAddressRefused';

/** Bookkeeping time an attempt gets on top of the HTTP timeout before Temporal counts it as timed out. */
const ATTEMPT_MARGIN_MS = 10_000;

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // called outside an activity (direct tests)
  }
}

export function createWebhookActivities(deps: ActivityDeps, sender?: WebhookSender) {
  const cfg = deps.config.webhookDelivery;
  const http =
    sender ??
    webhookSender({
      policy: {
        allowPrivateAddresses: deps.config.webhooks.allowPrivateAddresses,
        allowedHosts: deps.config.webhooks.allowedHosts,
      },
      timeoutMs: durationMs(cfg.timeout),
    });

  /** Loads, signs and posts one logged event; undefined when there is nothing to send. */
  async function attempt(input: WebhookDeliverInput, redelivery: boolean) {
    const row = await loadAttempt(deps.db, input.subscriptionId, input.deliveryId);
    if (!row)
      throw ApplicationFailure.nonRetryable(
        `webhook delivery ${input.deliveryId} of subscription ${input.subscriptionId} does not exist`,
        WEBHOOK_SUBSCRIPTION_GONE,
      );
    if (!redelivery && !row.enabled)
      throw ApplicationFailure.nonRetryable('the subscription is disabled', WEBHOOK_SUBSCRIPTION_DISABLED, 'admin');
    // A retry after the answer was recorded but before Temporal heard of it: already done.
    if (!redelivery && row.status === 'delivered') return undefined;
    const body = JSON.stringify(webhookPayload(row.event));
    const now = deps.clock();
    const headers = signWebhook({
      id: webhookMessageId(row.event.id),
      timestamp: now,
      body,
      secrets: signingSecrets(row, now),
    });
    const response = await http.post({ url: row.url, headers: { ...headers }, body }, cancellationSignal());
    return { response, at: deps.clock(), event: row.event };
  }

  const context = (input: WebhookDeliverInput, response: WebhookResponse) => ({
    subscriptionId: input.subscriptionId,
    deliveryId: input.deliveryId,
    statusCode: response.statusCode,
  });

  return {
    /** The delivery settings this worker is configured with, for the dispatcher's run. */
    async webhookDispatchSettings(): Promise<WebhookDispatchSettings> {
      return {
        retry: cfg.retry,
        attemptTimeout: `${durationMs(cfg.timeout) + ATTEMPT_MARGIN_MS}ms`,
        pollInterval: cfg.pollInterval,
      };
    },

    async claimWebhookDeliveries(input: { subscriptionId: string; cursor?: number }) {
      return claimDeliveries(deps.db, input.subscriptionId, input.cursor);
    },

    /**
     * One attempt to deliver a logged event. A 2xx marks it delivered; anything else is recorded and thrown for
     * Temporal to retry, until the run of consecutive failures disables the subscription (a non-retryable failure
     * with detail 'auto', after which the dispatcher tells the admins and ends).
     */
    async deliverWebhook(input: WebhookDeliverInput): Promise<'delivered' | 'already_delivered'> {
      const done = await attempt(input, false);
      if (!done) return 'already_delivered';
      const { response, at } = done;
      if (response.ok) {
        await recordDelivered(deps.db, { ...context(input, response), error: null, at }, true);
        return 'delivered';
      }
      const gone = response.statusCode === 410 ? 'the receiver answered 410 Gone' : undefined;
      const outcome = await recordFailed(
        deps.db,
        { ...context(input, response), error: response.error, at },
        { disableAfter: cfg.disableAfterFailures, disableNow: gone },
      );
      if (outcome.state === 'already_disabled')
        throw ApplicationFailure.nonRetryable('the subscription is disabled', WEBHOOK_SUBSCRIPTION_DISABLED, 'admin');
      if (outcome.state === 'auto_disabled') {
        log.warn('webhook subscription disabled', { subscriptionId: input.subscriptionId, reason: outcome.reason });
        throw ApplicationFailure.nonRetryable(outcome.reason, WEBHOOK_SUBSCRIPTION_DISABLED, 'auto');
      }
      throw ApplicationFailure.retryable(
        `${response.error} (${outcome.failures} consecutive failures)`,
        response.refused ? WEBHOOK_ADDRESS_REFUSED : WEBHOOK_ATTEMPT_FAILED,
      );
    },

    /** An admin's redelivery: one attempt, recorded on the row, never counted towards disabling. */
    async redeliverWebhook(input: WebhookRedeliverInput): Promise<WebhookAttemptResult> {
      const done = await attempt(input, true);
      const { response, at } = done!;
      log.info('webhook redelivered', { ...context(input, response), requestedBy: input.requestedBy, ok: response.ok });
      if (response.ok) {
        await recordDelivered(deps.db, { ...context(input, response), error: null, at }, false);
        return { delivered: true, statusCode: response.statusCode, error: null };
      }
      await noteFailedAttempt(deps.db, { ...context(input, response), error: response.error, at });
      return { delivered: false, statusCode: response.statusCode, error: response.error };
    },

    /** Emails WEBHOOK_ADMIN_EMAIL that a subscription was disabled, with a Message-ID a retry repeats. */
    async notifyWebhookDisabled(input: { subscriptionId: string }): Promise<'sent' | 'no_admin' | 'enabled_again'> {
      const to = cfg.adminEmail;
      const sub = await loadDisabled(deps.db, input.subscriptionId);
      if (!sub || sub.enabled) return 'enabled_again';
      if (!to) {
        log.warn('webhook subscription disabled and WEBHOOK_ADMIN_EMAIL is not set: no admin is emailed', {
          subscriptionId: input.subscriptionId,
        });
        return 'no_admin';
      }
      const channel = deps.channels.email;
      if (!channel) throw ApplicationFailure.nonRetryable('the email channel is not configured');
      const subject = `Webhook subscription disabled: ${sub.url}`;
      const text = [
        `The webhook subscription ${input.subscriptionId}${sub.description ? ` (${sub.description})` : ''}`,
        `to ${sub.url} was disabled: ${sub.disabledReason ?? 'unknown reason'}.`,
        '',
        'Undelivered events stay in its delivery log and are sent, in order, once it is enabled again',
        `(PATCH /webhooks/subscriptions/${input.subscriptionId} with {"enabled": true}).`,
      ].join('\n');
      await channel.send({
        messageId: `<webhook-${input.subscriptionId}.disabled.${sub.updatedAt.getTime()}@orderly.local>`,
        to,
        subject,
        text,
        html: `<pre>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</pre>`,
        short: subject,
        orderId: '',
        kind: 'webhook_disabled',
      });
      return 'sent';
    },
  };
}
