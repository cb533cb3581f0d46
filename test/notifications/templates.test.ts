import { renderNotification, formatMoney, TEMPLATES, type OrderView } from '../../activities/notifications/templates';
import { NOTIFICATION_KINDS } from '../../contract';

const order: OrderView = {
  id: '0f8e2a9c-1b2d-4c3e-8f70-123456789abc',
  email: 'ada@example.com',
  currency: 'EUR',
  totalCents: 4899,
  status: 'confirmed',
  failureReason: null,
  shippingAddress: {
    name: 'Ada Lovelace',
    line1: '12 St James Square',
    city: 'London',
    postalCode: 'SW1Y 4JH',
    country: 'GB',
  },
  lines: [
    { sku: 'CUP-1', name: 'Espresso Cup', unitPriceCents: 1250, quantity: 2, lineTotalCents: 2500 },
    { sku: 'BEAN-1KG', name: 'Coffee Beans 1kg', unitPriceCents: 2399, quantity: 1, lineTotalCents: 2399 },
  ],
};
const ctx = { order, publicBaseUrl: 'http://localhost:3000' };

describe.each(NOTIFICATION_KINDS)('template %s', (kind) => {
  test('matches its snapshot (subject, text, html, short)', () => {
    expect(
      renderNotification(
        kind,
        kind === 'payment_failed'
          ? { ...ctx, order: { ...order, status: 'failed', failureReason: 'payment_declined:card_declined' } }
          : ctx,
      ),
    ).toMatchSnapshot();
  });

  test('has a subject, a text part and an HTML part naming the order and its total', () => {
    const m = renderNotification(kind, ctx);
    expect(m.subject).toContain('0F8E2A9C');
    expect(m.text).toContain('€48.99');
    expect(m.html).toContain('€48.99');
    expect(m.html).toMatch(/^<!doctype html>/);
    expect(m.short.length).toBeLessThanOrEqual(160);
  });

  test('escapes hostile customer-supplied text in the HTML part', () => {
    const hostile = '<script>alert("x")</script>';
    const m = renderNotification(kind, {
      ...ctx,
      order: {
        ...order,
        failureReason: `<img src=x onerror=alert(1)>`,
        shippingAddress: { ...order.shippingAddress, name: hostile, line1: `"><b>line</b>` },
        lines: [{ ...order.lines[0]!, name: `Cup <iframe src="evil">`, sku: `S&<1>` }],
      },
    });
    expect(m.html).not.toMatch(/<script|<iframe|<img|<b>line/i);
    expect(m.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(m.html).toContain('Cup &lt;iframe src=&quot;evil&quot;&gt;');
    expect(m.html).toContain('S&amp;&lt;1&gt;');
    // The text part is plain text: the name appears as typed, never interpreted.
    expect(m.text).toContain('Hi <script>alert("x")</script>,');
  });
});

test('every notification kind has a template', () => {
  expect(Object.keys(TEMPLATES).sort()).toEqual([...NOTIFICATION_KINDS].sort());
});

test('money is formatted in the order currency with that currency’s decimals', () => {
  expect(formatMoney(4899, 'EUR')).toBe('€48.99');
  expect(formatMoney(123456, 'USD')).toBe('$1,234.56');
  expect(formatMoney(1500, 'JPY')).toBe('¥1,500');
  expect(formatMoney(999, 'GBP')).toBe('£9.99');
  const jpy = renderNotification('order_confirmed', {
    ...ctx,
    order: {
      ...order,
      currency: 'JPY',
      totalCents: 3000,
      lines: [{ ...order.lines[0]!, unitPriceCents: 1500, lineTotalCents: 3000 }],
    },
  });
  expect(jpy.text).toContain('Total: ¥3,000');
});
