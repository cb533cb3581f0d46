/** order_cancelled: the order was cancelled (by the customer or the shop) and its payment released. */
import { html } from './html';
import { formatMoney, orderNotice, orderRef, type RenderedMessage, type TemplateContext } from './format';

export function orderCancelled(ctx: TemplateContext): RenderedMessage {
  const { order } = ctx;
  const ref = orderRef(order);
  const total = formatMoney(order.totalCents, order.currency);
  const subject = `Your Orderly order ${ref} has been cancelled`;
  return orderNotice(ctx, {
    subject,
    text: [
      `Order ${ref} (${total}) has been cancelled. Any payment hold has been released; if you were charged, the refund is on its way.`,
    ],
    html: html`<p>Order <strong>${ref}</strong> (${total}) has been cancelled. Any payment hold has been released; if you were charged, the refund is on its way.</p>`,
    short: `Orderly: order ${ref} has been cancelled.`,
  });
}
