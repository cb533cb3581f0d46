/** NotificationChannel: what the notification activity needs from a delivery channel, so providers plug in here. */
import type { ChannelName } from '../../contract';

export interface OutgoingMessage {
  /** Stable id derived from (order, kind, generation, channel): a retried send carries the same one. */
  messageId: string;
  /** Email address, phone number or push token. */
  to: string;
  subject: string;
  text: string;
  html: string;
  /** One-line body for SMS and push. */
  short: string;
  /** The order it is about; '' for a message about a cart (housekeeping's reminder). */
  orderId: string;
  kind: string;
}

export interface SendResult {
  /** What the provider calls the message (SMTP reply, provider id). */
  providerMessageId: string;
}

export interface NotificationChannel {
  readonly name: ChannelName;
  /** Resolves once the provider accepted the message; rejects with PermanentSendError when retrying cannot help. */
  send(message: OutgoingMessage, signal?: AbortSignal): Promise<SendResult>;
}

export type NotificationChannels = Partial<Record<ChannelName, NotificationChannel>>;

/** The provider refused the message for good (unknown mailbox, invalid number): retrying would not help. */
export class PermanentSendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentSendError';
  }
}

/** `<order-<id>.<kind>.g<generation>@orderly.local>` for email; other channels add their name before the @. */
export function notificationMessageId(orderId: string, kind: string, generation: number, channel: ChannelName): string {
  const suffix = channel === 'email' ? '' : `.${channel}`;
  return `<order-${orderId}.${kind}.g${generation}${suffix}@orderly.local>`;
}
