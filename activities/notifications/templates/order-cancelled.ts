/** order_cancelled: the order was cancelled (by the customer or the shop) and its payment released. */
import { html } from './html';
import { formatMoney, greetingName, layout, linesHtml, linesText, orderRef, orderUrl, type RenderedMessage, type TemplateContext } from './format';

export function orderCancelled(ctx: TemplateContext): RenderedMessage {
  const { order } = ctx;
  const ref = orderRef(order);
  const total = formatMoney(order.totalCents, order.currency);
  const subject = `Your Orderly order ${ref} has been cancelled`;
  const text = [
    `Hi ${greetingName(order)},`,
    '',
    `Order ${ref} (${total}) has been cancelled. Any payment hold has been released; if you were charged, the refund is on its way.`,
    '',
    linesText(order),
    '',
    `Order details: ${orderUrl(ctx)}`,
    '',
  ].join('\n');
  const body = html`<p>Hi ${greetingName(order)},</p>
<p>Order <strong>${ref}</strong> (${total}) has been cancelled. Any payment hold has been released; if you were charged, the refund is on its way.</p>
${linesHtml(order)}
<p><a href="${orderUrl(ctx)}">Order details</a></p>`;
  return { subject, text, html: layout(subject, body), short: `Orderly: order ${ref} has been cancelled.` };
}
