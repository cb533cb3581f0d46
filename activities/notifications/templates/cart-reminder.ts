/** cart_reminder: a cart left untouched is about to expire (CART_IDLE_EXPIRY); sent once, before housekeeping expires it. */
import { html } from './html';
import { formatMoney, layout, type RenderedMessage } from './format';

/** What the reminder shows: the cart's lines at today's prices, and when it expires. */
export interface CartReminderView {
  cartId: string;
  currency: string;
  lines: { name: string; quantity: number; unitPriceCents: number }[];
  expiresAt: Date;
}

export function cartReminder(cart: CartReminderView, publicBaseUrl: string): RenderedMessage {
  const url = `${publicBaseUrl.replace(/\/+$/, '')}/carts/${cart.cartId}`;
  const total = formatMoney(
    cart.lines.reduce((sum, l) => sum + l.unitPriceCents * l.quantity, 0),
    cart.currency,
  );
  const until = cart.expiresAt.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const subject = 'You left something in your Orderly cart';
  const rows = cart.lines.map((l) => `  ${l.quantity} x ${l.name} @ ${formatMoney(l.unitPriceCents, cart.currency)}`);
  const text = [
    'Hi there,',
    '',
    `Your cart still holds ${cart.lines.length === 1 ? 'one item' : `${cart.lines.length} items`} (${total} at today's prices):`,
    '',
    ...rows,
    '',
    `It is kept until ${until}: ${url}`,
    '',
  ].join('\n');
  const body = html`<p>Hi there,</p>
<p>Your cart still holds these items (<strong>${total}</strong> at today's prices):</p>
<ul>${cart.lines.map((l) => html`<li>${l.quantity} &times; ${l.name} @ ${formatMoney(l.unitPriceCents, cart.currency)}</li>`)}</ul>
<p>It is kept until ${until}: <a href="${url}">your cart</a>.</p>`;
  return { subject, text, html: layout(subject, body), short: `Orderly: your cart is kept until ${until}: ${url}` };
}
