/** order_refunded: money went back to the customer after a capture. */
import { html } from './html';
import { formatMoney, orderNotice, orderRef, type RenderedMessage, type TemplateContext } from './format';

export function orderRefunded(ctx: TemplateContext): RenderedMessage {
  const { order } = ctx;
  const ref = orderRef(order);
  const total = formatMoney(order.totalCents, order.currency);
  const subject = `Refund of ${total} for your Orderly order ${ref}`;
  return orderNotice(ctx, {
    subject,
    text: [
      `We have refunded ${total} for order ${ref}. Depending on your bank it can take a few days to appear on your statement.`,
    ],
    html: html`<p>We have refunded <strong>${total}</strong> for order <strong>${ref}</strong>. Depending on your bank it can take a few days to appear on your statement.</p>`,
    short: `Orderly: ${total} refunded for order ${ref}.`,
  });
}
