/** Shared pieces of every template: the order view they render, money formatting, the lines table and the layout. */
import { LOCALE, formatMoney } from '../../../contract';
import { html, type SafeHtml } from './html';

/** Everything a template may show: read from the order row and its lines, never from the request. */
export interface OrderView {
  id: string;
  email: string;
  currency: string;
  totalCents: number;
  status: string;
  failureReason: string | null;
  shippingAddress: Record<string, string>;
  lines: { sku: string; name: string; unitPriceCents: number; quantity: number; lineTotalCents: number }[];
}

export interface TemplateContext {
  order: OrderView;
  /** Where the customer can see the order, e.g. http://localhost:3000 (links are built on it). */
  publicBaseUrl: string;
}

/** What a template produces: an email (subject, text and HTML parts) and a one-line body for SMS and push. */
export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
  short: string;
}

export { LOCALE, formatMoney };

/** The customer-facing order reference: the first block of the uuid, as shown in the API's order pages. */
export function orderRef(order: OrderView): string {
  return order.id.slice(0, 8).toUpperCase();
}

export function orderUrl(ctx: TemplateContext): string {
  return `${ctx.publicBaseUrl.replace(/\/+$/, '')}/orders/${ctx.order.id}`;
}

export function greetingName(order: OrderView): string {
  const name = order.shippingAddress.name?.trim();
  return name ? name : 'there';
}

export function linesText(order: OrderView): string {
  const rows = order.lines.map(
    (l) =>
      `  ${l.quantity} x ${l.name} (${l.sku}) @ ${formatMoney(l.unitPriceCents, order.currency)} = ${formatMoney(l.lineTotalCents, order.currency)}`,
  );
  return [...rows, `  Total: ${formatMoney(order.totalCents, order.currency)}`].join('\n');
}

export function linesHtml(order: OrderView): SafeHtml {
  const cell = 'padding:6px 8px;border-bottom:1px solid #eee;';
  return html`<table role="presentation" style="border-collapse:collapse;width:100%;font-size:14px">
<thead><tr><th align="left" style="${cell}">Item</th><th align="right" style="${cell}">Qty</th><th align="right" style="${cell}">Price</th><th align="right" style="${cell}">Subtotal</th></tr></thead>
<tbody>
${order.lines.map(
  (l) =>
    html`<tr><td style="${cell}">${l.name}<br><span style="color:#888">${l.sku}</span></td><td align="right" style="${cell}">${l.quantity}</td><td align="right" style="${cell}">${formatMoney(l.unitPriceCents, order.currency)}</td><td align="right" style="${cell}">${formatMoney(l.lineTotalCents, order.currency)}</td></tr>
`,
)}</tbody>
<tfoot><tr><td colspan="3" align="right" style="padding:6px 8px"><strong>Total</strong></td><td align="right" style="padding:6px 8px"><strong>${formatMoney(order.totalCents, order.currency)}</strong></td></tr></tfoot>
</table>`;
}

export function addressText(order: OrderView): string {
  const a = order.shippingAddress;
  return [a.name, a.line1, a.line2, [a.postalCode, a.city].filter(Boolean).join(' '), a.country]
    .filter((p) => p && p.trim())
    .join('\n');
}

export function addressHtml(order: OrderView): SafeHtml {
  const parts = addressText(order).split('\n');
  return html`<p style="margin:0">${parts.map((p, i) => (i === 0 ? html`${p}` : html`<br>${p}`))}</p>`;
}

/** The HTML document every email shares; `title` and `body` come from the template. */
export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>
<body style="margin:0;padding:24px;background:#f6f6f6;font-family:Helvetica,Arial,sans-serif;color:#222">
<div style="max-width:600px;margin:0 auto;background:#fff;padding:24px;border-radius:6px">
<h1 style="font-size:20px;margin:0 0 16px">${title}</h1>
${body}
<p style="color:#888;font-size:12px;margin-top:24px">Orderly &middot; this is a transactional message about your order.</p>
</div>
</body>
</html>
`.value;
}

/** What a notice about an order says beyond its common frame. */
export interface NoticeParts {
  subject: string;
  /** Lines of the plain-text part between the greeting and the order lines. */
  text: string[];
  /** The same, as HTML paragraphs. */
  html: SafeHtml;
  short: string;
}

/**
 * The frame of a notice about an order's fate (cancelled, refunded, payment failed): greeting, what happened, the
 * order lines, and a link to the order, in both parts.
 */
export function orderNotice(ctx: TemplateContext, parts: NoticeParts): RenderedMessage {
  const { order } = ctx;
  const url = orderUrl(ctx);
  const text = [
    `Hi ${greetingName(order)},`,
    '',
    ...parts.text,
    '',
    linesText(order),
    '',
    `Order details: ${url}`,
    '',
  ].join('\n');
  const body = html`<p>Hi ${greetingName(order)},</p>
${parts.html}
${linesHtml(order)}
<p><a href="${url}">Order details</a></p>`;
  return { subject: parts.subject, text, html: layout(parts.subject, body), short: parts.short };
}
