/** payment_failed: the payment was declined or not completed, nothing was charged. */
import { html } from './html';
import { formatMoney, orderNotice, orderRef, type RenderedMessage, type TemplateContext } from './format';

/** Checkout's failure codes (`payment_declined:<code>`, `payment_confirmation_timeout`) in words a customer reads. */
const REASONS: Record<string, string> = {
  card_declined: 'your card was declined',
  insufficient_funds: 'your card has insufficient funds',
  payment_confirmation_timeout: 'the payment was not confirmed in time',
  checkout_error: 'something went wrong on our side',
};

export function describeFailure(reason: string | null): string {
  if (!reason) return 'the payment was not completed';
  const code = reason.split(':').pop() ?? reason;
  return REASONS[code] ?? code.replace(/_/g, ' ');
}

export function paymentFailed(ctx: TemplateContext): RenderedMessage {
  const { order } = ctx;
  const ref = orderRef(order);
  const total = formatMoney(order.totalCents, order.currency);
  const reason = describeFailure(order.failureReason);
  const subject = `Payment for your Orderly order ${ref} did not go through`;
  return orderNotice(ctx, {
    subject,
    text: [
      `We could not take the payment of ${total} for order ${ref}: ${reason}.`,
      'You have not been charged and any hold on your card has been released. You can place the order again at any time.',
    ],
    html: html`<p>We could not take the payment of <strong>${total}</strong> for order <strong>${ref}</strong>: ${reason}.</p>
<p>You have not been charged and any hold on your card has been released. You can place the order again at any time.</p>`,
    short: `Orderly: payment for order ${ref} failed; you were not charged.`,
  });
}
