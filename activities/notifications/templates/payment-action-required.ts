/** payment_action_required: the bank wants the customer to confirm the payment (3-D Secure and the like). */
import { html } from './html';
import {
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

export function paymentActionRequired(ctx: TemplateContext): RenderedMessage {
  const { order } = ctx;
  const ref = orderRef(order);
  const total = formatMoney(order.totalCents, order.currency);
  const url = orderUrl(ctx);
  const subject = `Action needed: confirm the payment for your Orderly order ${ref}`;
  const text = [
    `Hi ${greetingName(order)},`,
    '',
    `Your bank asks you to confirm the payment of ${total} for order ${ref}.`,
    `Open ${url} and follow your bank's confirmation step. If you do not confirm in time, the order is cancelled and nothing is charged.`,
    '',
    linesText(order),
    '',
  ].join('\n');
  const body = html`<p>Hi ${greetingName(order)},</p>
<p>Your bank asks you to confirm the payment of <strong>${total}</strong> for order <strong>${ref}</strong>.</p>
<p><a href="${url}" style="display:inline-block;padding:10px 16px;background:#222;color:#fff;text-decoration:none;border-radius:4px">Confirm payment</a></p>
<p>Or open ${url} and follow your bank's confirmation step. If you do not confirm in time, the order is cancelled and nothing is charged.</p>
${linesHtml(order)}`;
  return { subject, text, html: layout(subject, body), short: `Orderly: confirm the payment for order ${ref}: ${url}` };
}
