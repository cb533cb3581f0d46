/** order_confirmed: payment captured, the order is on its way. */
import { html } from './html';
import {
  addressHtml,
  addressText,
  formatMoney,
  greetingName,
  layout,
  linesHtml,
  linesText,
  orderRef,
  orderUrl,
  type RenderedMessage,
  type TemplateContext,
} from './format';

export function orderConfirmed(ctx: TemplateContext): RenderedMessage {
  const { order } = ctx;
  const ref = orderRef(order);
  const total = formatMoney(order.totalCents, order.currency);
  const subject = `Your Orderly order ${ref} is confirmed`;
  const text = [
    `Hi ${greetingName(order)},`,
    '',
    `Thank you for your order. We have received your payment of ${total} and order ${ref} is confirmed.`,
    '',
    linesText(order),
    '',
    'Shipping to:',
    addressText(order),
    '',
    `See your order: ${orderUrl(ctx)}`,
    '',
  ].join('\n');
  const body = html`<p>Hi ${greetingName(order)},</p>
<p>Thank you for your order. We have received your payment of <strong>${total}</strong> and order <strong>${ref}</strong> is confirmed.</p>
${linesHtml(order)}
<h2 style="font-size:16px;margin:16px 0 4px">Shipping to</h2>
${addressHtml(order)}
<p><a href="${orderUrl(ctx)}">See your order</a></p>`;
  return { subject, text, html: layout(subject, body), short: `Orderly: order ${ref} is confirmed (${total}).` };
}
