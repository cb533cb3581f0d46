/**
 * notifyOrder and resendNotification: the notification workflows an operator or an admin starts. The checkout
 * workflow notifies through the same code (workflows/notify-customer.ts) as part of the order itself.
 */
import type { NotifyOrderInput, ResendNotificationInput } from '../contract';
import { books, deliver, notifyCustomer, type DeliveryResult, type DeliveryResults } from './notify-customer';

export type { DeliveryResult } from './notify-customer';

/**
 * Notifies the customer about an order on every channel they chose, outside any checkout: for an operator
 * (`temporal workflow start --type notifyOrder`). Claim-before-send makes a repeat of a sent notification a no-op.
 */
export async function notifyOrder(input: NotifyOrderInput): Promise<DeliveryResults> {
  return notifyCustomer(input);
}

/** An admin's resend of one tracked notification: a new generation (new Message-ID) through the same activity. */
export async function resendNotification(input: ResendNotificationInput): Promise<DeliveryResult> {
  await books.beginNotificationResend(input);
  return deliver({ orderId: input.orderId, kind: input.kind, generation: input.generation }, input.channel);
}
