/**
 * Webhook delivery on Temporal: the dispatcher and redelivery workflows' names, ids, signal and inputs, shared by
 * api/ (which starts and wakes them), workers/ (which resumes them at start) and workflows/.
 */

export const WEBHOOK_DISPATCH_WORKFLOW_TYPE = 'webhookDispatcher';
export const WEBHOOK_REDELIVER_WORKFLOW_TYPE = 'webhookRedeliver';

/** One dispatcher per subscription: starting it twice finds the running one. */
export const webhookDispatchWorkflowId = (subscriptionId: string): string => `webhook-dispatch-${subscriptionId}`;

/** One redelivery per admin request (the request id tells repeated presses apart). */
export const webhookRedeliverWorkflowId = (deliveryId: number, requestId: string): string =>
  `webhook-redeliver-${deliveryId}-${requestId}`;

/** Tells a dispatcher there may be new events (or a changed subscription); it claims at once instead of waiting. */
export const WEBHOOK_WAKE_SIGNAL = 'webhookWake';

/** The PostgreSQL channel a trigger on order_events notifies after every insert (migration 0006). */
export const ORDER_EVENTS_CHANNEL = 'orderly_order_events';

/** Failure types the delivery activities raise for good; the dispatcher ends on them. */
export const WEBHOOK_SUBSCRIPTION_DISABLED = 'WebhookSubscriptionDisabled';
export const WEBHOOK_SUBSCRIPTION_GONE = 'WebhookSubscriptionGone';

/** Order events one claim takes into the delivery log at most. */
export const WEBHOOK_CLAIM_BATCH = 100;
/**
 * How far below its cursor a claim looks again for events it has not taken. order_events ids come from a sequence,
 * and a transaction that took a lower id can commit after one that took a higher id; the anti-join over this window
 * takes such a late event on a later claim instead of skipping it.
 */
export const WEBHOOK_CLAIM_LOOKBACK = 1000;
/** Claim rounds one dispatcher run makes before it continues as new, to keep its history short. */
export const WEBHOOK_ROUNDS_PER_RUN = 200;

export interface WebhookDispatchInput {
  subscriptionId: string;
  /** The highest order event id already considered; absent on a fresh start (the claim works it out). */
  cursor?: number;
}

/** Delivery settings from the worker's configuration, read by each dispatcher run (so a restart applies changes). */
export interface WebhookDispatchSettings {
  retry: { initialInterval: string; maximumInterval: string; backoffCoefficient: number };
  /** Start-to-close of one attempt: the HTTP timeout plus the bookkeeping around it. */
  attemptTimeout: string;
  /** Longest idle wait between claims when no wake-up comes. */
  pollInterval: string;
}

export interface WebhookClaim {
  /** 'active', or why the dispatcher should end. */
  state: 'active' | 'disabled' | 'gone';
  /** Undelivered log rows, oldest event first. */
  deliveries: { id: number; eventId: number }[];
  cursor: number;
}

/** How a dispatcher run ended, as its result shows in the Web UI. */
export interface WebhookDispatchResult {
  ended: 'disabled' | 'gone' | 'auto_disabled';
  delivered: number;
  reason?: string;
}

export interface WebhookDeliverInput {
  subscriptionId: string;
  deliveryId: number;
}

export interface WebhookRedeliverInput extends WebhookDeliverInput {
  /** The admin who asked (their token's subject). */
  requestedBy: string;
}

/** One attempt's outcome, as the redelivery workflow's result. */
export interface WebhookAttemptResult {
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
}
