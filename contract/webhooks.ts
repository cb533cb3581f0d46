/**
 * Outgoing event webhooks: the event types a subscription may ask for, the stable message id of an event, and the
 * JSON body every delivery carries. Shared by the admin API (api/routes/webhooks.ts) and delivery (activities/).
 */

/** Every order event type the timeline holds today, in the order a checkout usually writes them. */
export const WEBHOOK_EVENT_TYPES = [
  'order.created',
  'inventory.reserved',
  'payment.authorized',
  'payment.action_required',
  'payment.processed',
  'payment.failed',
  'order.confirmed',
  'order.failed',
  'order.cancelled',
  'order.refunded',
  'order.needs_attention',
  'inventory.released',
  'payment.voided',
  'payment.refunded',
  'compensation.failed',
  'notification.sent',
  'notification.failed',
  'notification.skipped',
  'notification.resent',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A subscription's `events` entry that matches every event type, including types added later. */
export const WEBHOOK_ALL_EVENTS = '*';

export const isWebhookEventType = (value: string): value is WebhookEventType =>
  (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);

/** Whether a subscription's `events` list asks for events of `type`. */
export const subscriptionMatches = (events: readonly string[], type: string): boolean =>
  events.includes(WEBHOOK_ALL_EVENTS) || events.includes(type);

/** The Standard Webhooks `webhook-id` of an order event: the same on every attempt and for every subscription. */
export const webhookMessageId = (eventId: number | bigint | string): string => `msg_${eventId}`;

/** The order event id back from a `webhook-id`, or undefined when it is not one of ours. */
export function eventIdOfMessage(messageId: string): number | undefined {
  const match = /^msg_([1-9]\d{0,15})$/.exec(messageId);
  return match ? Number(match[1]) : undefined;
}

/** The JSON body of a delivery. `timestamp` is when the event happened (ISO 8601), not when it was sent. */
export interface WebhookPayload {
  id: string;
  type: string;
  timestamp: string;
  data: { orderId: string } & Record<string, unknown>;
}

/** An order_events row as delivery reads it. */
export interface WebhookEventRow {
  id: number;
  orderId: string;
  type: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

/** The body sent for an event: its own data, with the order id first (the event's data cannot override it). */
export const webhookPayload = (event: WebhookEventRow): WebhookPayload => ({
  id: webhookMessageId(event.id),
  type: event.type,
  timestamp: event.createdAt.toISOString(),
  data: { ...event.data, orderId: event.orderId },
});

/** Prefix of a subscription secret (Standard Webhooks): `whsec_` and the base64 of 32 random bytes. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** What happened to a subscription, as the API tells delivery (AppDeps.onWebhookSubscriptionChanged). */
export type WebhookSubscriptionChange = 'created' | 'updated' | 'secret_rotated' | 'deleted';
