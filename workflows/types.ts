/** Names and shapes shared by workflows, activities, workers and the API. No runtime imports: safe in the sandbox. */

export const DEFAULT_TASK_QUEUE = 'checkout';

export const CHECKOUT_WORKFLOW_TYPE = 'checkout';
export const NOTIFY_WORKFLOW_TYPE = 'notifyOrder';

/** Signal names (the CLI uses these strings: `temporal workflow signal --name paymentConfirmed`). */
export const PAYMENT_CONFIRMED_SIGNAL = 'paymentConfirmed';
export const CANCEL_SIGNAL = 'cancel';
/** Update name for the API's cancel (validated, answers with the resulting status). */
export const CANCEL_UPDATE = 'cancelOrder';
/** Query name: `temporal workflow query --name status`. */
export const STATUS_QUERY = 'status';

export const ORDER_STATUS = ['pending', 'awaiting_payment', 'confirmed', 'failed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUS)[number];

export const PAYMENT_STATE = ['authorized', 'requires_action', 'captured', 'voided', 'refunded', 'failed'] as const;
export type PaymentState = (typeof PAYMENT_STATE)[number];

export const NOTIFICATION_KINDS = [
  'order_confirmed',
  'payment_failed',
  'order_cancelled',
  'order_refunded',
  'payment_action_required',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Input of the notifyOrder workflow and of the sendOrderNotification activity. */
export interface NotifyOrderInput {
  orderId: string;
  kind: NotificationKind;
  /** 0 for the first send; an admin resend bumps it, giving a new Message-ID. */
  generation?: number;
}

export function checkoutWorkflowId(orderId: string): string {
  return `order-${orderId}`;
}

export function notifyWorkflowId(orderId: string, kind: NotificationKind, generation = 0): string {
  return generation === 0 ? `notify-${orderId}-${kind}` : `notify-${orderId}-${kind}-r${generation}`;
}
