/** order_refunded: money went back to the customer after a capture. */
import { html } from './html';
import { formatMoney, greetingName, layout, linesHtml, linesText, orderRef, orderUrl, type RenderedMessage, type TemplateContext } from './format';

export function orderRefunded(ctx: TemplateContext): RenderedMessage {
  const { order } = ctx;
  const ref = orderRef(order);
  const total = formatMoney(order.totalCents, order.currency);
  const subject = `Refund of ${total} for your Orderly order ${ref}`;
  const text = [
    `Hi ${greetingName(order)},`,
    '',
    `We have refunded ${total} for order ${ref}. Depending on your bank it can take a few days to appear on your statement.`,
    '',
    linesText(order),
    '',
    `Order details: ${orderUrl(ctx)}`,
    '',
  ].join('\n');
  const body = html`<p>Hi ${greetingName(order)},</p>
<p>We have refunded <strong>${total}</strong> for order <strong>${ref}</strong>. Depending on your bank it can take a few days to appear on your statement.</p>
${linesHtml(order)}
<p><a href="${orderUrl(ctx)}">Order details</a></p>`;
  return { subject, text, html: layout(subject, body), short: `Orderly: ${total} refunded for order ${ref}.` };
}
