/** Notification kinds, channels, workflow names and ids, and the failure types the notification activities raise. */

export const NOTIFICATION_KINDS = [
  'order_confirmed',
  'payment_failed',
  'order_cancelled',
  'order_refunded',
  'payment_action_required',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const NOTIFICATION_CHANNELS = ['email', 'sms', 'push'] as const;
export type ChannelName = (typeof NOTIFICATION_CHANNELS)[number];

export const isChannelName = (value: string): value is ChannelName =>
  (NOTIFICATION_CHANNELS as readonly string[]).includes(value);

/** A customer's stored channel choices, unknown names dropped; a customer without a row (or choices) gets email. */
export function chosenChannels(stored: readonly string[] | null | undefined): ChannelName[] {
  return (stored ?? ['email']).filter(isChannelName);
}

/** Workflow type names (`temporal workflow start --type notifyOrder`). */
export const NOTIFY_WORKFLOW_TYPE = 'notifyOrder';
export const RESEND_WORKFLOW_TYPE = 'resendNotification';

/** Input of the notifyOrder workflow and of the sendOrderNotification activity. */
export interface NotifyOrderInput {
  orderId: string;
  kind: NotificationKind;
  /** 0 for the first send; an admin resend bumps it, giving a new Message-ID. */
  generation?: number;
}

/** Input of the resendNotification workflow and of the beginNotificationResend activity. */
export interface ResendNotificationInput {
  orderId: string;
  kind: NotificationKind;
  channel: ChannelName;
  /** The new generation (previous + 1): a new Message-ID, so the resend is a distinct message. */
  generation: number;
  /** Admin who asked, for the timeline. */
  requestedBy?: string;
}

export function notifyWorkflowId(orderId: string, kind: NotificationKind, generation = 0): string {
  return generation === 0 ? `notify-${orderId}-${kind}` : `notify-${orderId}-${kind}-r${generation}`;
}

/** Resends get their own workflow id per generation; channels other than email add their name. */
export function resendWorkflowId(
  orderId: string,
  kind: NotificationKind,
  generation: number,
  channel: ChannelName,
): string {
  const base = notifyWorkflowId(orderId, kind, generation);
  return channel === 'email' ? base : `${base}-${channel}`;
}

/** Application failure types of the notification activities; none of them is worth a retry. */
export const ORDER_NOT_FOUND = 'OrderNotFound';
export const RECIPIENT_MISSING = 'RecipientMissing';
export const NOTIFICATION_REJECTED = 'NotificationRejected';
export const CHANNEL_NOT_CONFIGURED = 'ChannelNotConfigured';
