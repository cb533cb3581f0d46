/** End to end over HTTP: POST /checkout, then the customer's email and the order timeline. */
import type { Harness } from '../support/harness';
import type { TestSmtp } from '../support/smtp';
import { checkoutWorkflowId, type CheckoutStatus } from '../../contract';
import { placeOrder, seedProduct, shopper, waitFor, waitForStatus, type StockBook } from '../checkout/helpers';
import { mailSuite, rowsFor } from './fixtures';

let smtp: TestSmtp;
let h: Harness;
const book: StockBook = new Map();
mailSuite((started, harness) => {
  smtp = started;
  h = harness;
});

const timelineTypes = async (orderId: string, token: string) =>
  ((await h.call('GET', `/orders/${orderId}`, { token })).body.timeline as { type: string }[]).map((e) => e.type);

test('a checkout sends the confirmation email and the timeline shows notification.sent', async () => {
  const who = await shopper(h);
  const productId = await seedProduct(h, book, { priceCents: 1250 });
  const orderId = await placeOrder(h, who, productId, 'tok_visa', 2);
  await waitForStatus(h, orderId, ['confirmed']);

  const mail = await waitFor(
    'the confirmation email',
    async () => smtp.for(orderId),
    (m) => m.length > 0,
  );
  expect(mail).toHaveLength(1);
  expect(mail[0]!.to).toEqual(['ada@example.com']);
  expect(mail[0]!.subject).toBe(`Your Orderly order ${orderId.slice(0, 8).toUpperCase()} is confirmed`);
  expect(mail[0]!.parsed.text).toContain('Total: €25.00');
  expect(mail[0]!.parsed.html).toContain('<strong>€25.00</strong>');
  expect(mail[0]!.parsed.html).toContain('Hi Ada Lovelace');

  const types = await waitFor(
    'notification.sent in the timeline',
    () => timelineTypes(orderId, who.token),
    (t) => t.includes('notification.sent'),
  );
  expect(types.indexOf('notification.sent')).toBeGreaterThan(types.indexOf('order.confirmed'));
});

test('a declined card sends the payment-failed email', async () => {
  const who = await shopper(h);
  const productId = await seedProduct(h, book);
  const orderId = await placeOrder(h, who, productId, 'tok_chargeDeclined');
  await waitForStatus(h, orderId, ['failed']);
  const mail = await waitFor(
    'the payment-failed email',
    async () => smtp.for(orderId),
    (m) => m.length > 0,
  );
  expect(mail[0]!.messageId).toBe(`<order-${orderId}.payment_failed.g0@orderly.local>`);
  expect(mail[0]!.parsed.text).toContain('your card was declined');
});

test('SMTP down during a checkout: the order confirms anyway and the email arrives once the server is back', async () => {
  await smtp.stop();
  let orderId = '';
  try {
    const who = await shopper(h);
    const productId = await seedProduct(h, book, { priceCents: 999 });
    orderId = await placeOrder(h, who, productId);
    await waitForStatus(h, orderId, ['confirmed']);
    const [row] = await waitFor(
      'a failed send attempt',
      () => rowsFor(h.db.db, orderId),
      (r) => Boolean(r[0]?.lastError),
    );
    expect(row).toMatchObject({ status: 'pending' });
    expect(smtp.for(orderId)).toHaveLength(0);
  } finally {
    await smtp.start();
  }
  await waitFor(
    'the delayed email',
    async () => smtp.for(orderId),
    (m) => m.length > 0,
  );
  await waitFor(
    'the row marked sent',
    () => rowsFor(h.db.db, orderId),
    (r) => r[0]?.status === 'sent',
  );
  expect(smtp.for(orderId)).toHaveLength(1);
  const [row] = await rowsFor(h.db.db, orderId);
  expect(row!.attempts).toBeGreaterThanOrEqual(2);
});

test('a refused confirmation email never touches the order: it stays confirmed and cancellable, with notification.failed', async () => {
  smtp.rejectCode = 550;
  const who = await shopper(h);
  const productId = await seedProduct(h, book);
  let orderId = '';
  try {
    orderId = await placeOrder(h, who, productId);
    await waitFor(
      'notification.failed in the timeline',
      () => timelineTypes(orderId, who.token),
      (t) => t.includes('notification.failed'),
    );
  } finally {
    smtp.rejectCode = undefined;
  }
  const handle = h.client.workflow.getHandle(checkoutWorkflowId(orderId));
  expect(await handle.query<CheckoutStatus>('status')).toMatchObject({
    status: 'confirmed',
    step: 'cancellation_window',
    cancellable: true,
  });
  const cancelled = await h.call('POST', `/orders/${orderId}/cancel`, { token: who.token });
  expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled', paymentState: 'refunded' } });
  expect(await handle.result()).toMatchObject({ status: 'cancelled', paymentState: 'refunded' });
  expect(smtp.for(orderId).map((m) => m.messageId)).toEqual([`<order-${orderId}.order_refunded.g0@orderly.local>`]);
});

test('SMTP down: the order is cancelled within the window while its confirmation email still retries; the workflow waits for both emails', async () => {
  await smtp.stop();
  let orderId = '';
  const who = await shopper(h);
  const handle = () => h.client.workflow.getHandle(checkoutWorkflowId(orderId));
  try {
    const productId = await seedProduct(h, book);
    orderId = await placeOrder(h, who, productId);
    await waitFor(
      'a failed send attempt',
      () => rowsFor(h.db.db, orderId),
      (r) => Boolean(r[0]?.lastError),
    );
    const cancelled = await h.call('POST', `/orders/${orderId}/cancel`, { token: who.token });
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled', paymentState: 'refunded' } });
    expect((await handle().describe()).status.name).toBe('RUNNING');
    expect((await rowsFor(h.db.db, orderId)).every((r) => r.status === 'pending')).toBe(true);
  } finally {
    await smtp.start();
  }
  expect(await handle().result()).toMatchObject({ status: 'cancelled' });
  const kinds = smtp
    .for(orderId)
    .map((m) => m.messageId.split('.')[1])
    .sort();
  expect(kinds).toEqual(['order_confirmed', 'order_refunded']);
});
