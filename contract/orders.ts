/** The states an order and its payment go through, as stored, queried and shown by the API. */

export const ORDER_STATUS = ['pending', 'awaiting_payment', 'confirmed', 'failed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUS)[number];

/** `reversal_failed`: a void or refund that ran out of retries; the money may still be held, an operator settles it. */
export const PAYMENT_STATE = [
  'authorized',
  'requires_action',
  'captured',
  'voided',
  'refunded',
  'failed',
  'reversal_failed',
] as const;
export type PaymentState = (typeof PAYMENT_STATE)[number];
