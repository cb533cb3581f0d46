/** One template per notification kind; renderNotification picks it. */
import type { NotificationKind } from '../../../contract';
import type { RenderedMessage, TemplateContext } from './format';
import { orderConfirmed } from './order-confirmed';
import { paymentFailed } from './payment-failed';
import { orderCancelled } from './order-cancelled';
import { orderRefunded } from './order-refunded';
import { paymentActionRequired } from './payment-action-required';

export type { OrderView, RenderedMessage, TemplateContext } from './format';
export { formatMoney } from './format';
export { escapeHtml } from './html';

export const TEMPLATES: Record<NotificationKind, (ctx: TemplateContext) => RenderedMessage> = {
  order_confirmed: orderConfirmed,
  payment_failed: paymentFailed,
  order_cancelled: orderCancelled,
  order_refunded: orderRefunded,
  payment_action_required: paymentActionRequired,
};

export function renderNotification(kind: NotificationKind, ctx: TemplateContext): RenderedMessage {
  return TEMPLATES[kind](ctx);
}
