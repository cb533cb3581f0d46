/** 3-D Secure: confirmation by webhook or signal, the deadline, cancel (Update and signal) and refunds in the window. */
import { eq } from 'drizzle-orm';
import { products } from '../../db/schema';
import { signWebhook } from '../../api/orders/webhook-signature';
import { CANCEL_SIGNAL, PAYMENT_CONFIRMED_SIGNAL, checkoutWorkflowId, type CheckoutStatus } from '../../contract';
import type { Harness } from '../support/harness';
import {
  checkoutSuite,
  events,
  maybeRecordHistory,
  placeOrder,
  sandboxPaymentOf,
  seedProduct,
  shopper,
  waitForQuery,
  waitForStatus,
  waitForWorkflowDone,
} from './helpers';

let h: Harness;

const book = checkoutSuite(
  { env: { PAYMENT_CONFIRMATION_TIMEOUT: '4s', CANCELLATION_WINDOW: '5s' } },
  (started) => (h = started),
);

const stockOf = async (id: string) => (await h.db.db.select().from(products).where(eq(products.id, id)))[0]!.stock;
const handleOf = (orderId: string) => h.client.workflow.getHandle(checkoutWorkflowId(orderId));

function webhook(body: unknown, opts: { secret?: string; at?: number; signature?: string | null } = {}) {
  const raw = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const sig =
    opts.signature === undefined
      ? signWebhook(opts.secret ?? h.config.payment.webhookSecret, raw, opts.at)
      : opts.signature;
  if (sig !== null) headers['orderly-signature'] = sig;
  return h.call('POST', '/payments/webhook', { body: raw, headers });
}

async function awaitingPayment(orderId: string) {
  await waitForStatus(h, orderId, ['awaiting_payment']);
  return waitForQuery<CheckoutStatus>(
    handleOf(orderId),
    'status',
    'step awaiting_payment',
    (s) => s.step === 'awaiting_payment',
  );
}

test('3-D Secure: the order waits (status query shows the deadline) until the signed webhook confirms it', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 4 });
  const orderId = await placeOrder(h, who, p, 'tok_threeDSecureRequired');
  const status = await awaitingPayment(orderId);
  expect(status).toMatchObject({ status: 'awaiting_payment', paymentState: 'requires_action', cancellable: true });
  expect(new Date(status.deadline!).getTime()).toBeGreaterThan(Date.now());
  expect(await stockOf(p)).toBe(3);
  expect(await events(h, orderId)).toContain('payment.action_required');

  const res = await webhook({ type: 'payment_intent.succeeded', data: { orderId } });
  expect(res).toMatchObject({ status: 200, body: { received: true, ignored: false, orderId } });
  await waitForStatus(h, orderId, ['confirmed']);
  // A repeat of the same callback changes nothing.
  expect((await webhook({ type: 'payment_intent.succeeded', data: { orderId } })).status).toBe(200);
  await waitForWorkflowDone(h, orderId);
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'captured' });
  expect((await events(h, orderId)).filter((t) => t === 'payment.processed')).toHaveLength(1);

  // Late: the workflow has closed after the cancellation window; the webhook is acknowledged and ignored.
  await handleOf(orderId).result();
  const late = await webhook({ type: 'payment_intent.succeeded', data: { orderId } });
  expect(late).toMatchObject({ status: 200, body: { ignored: true } });
  await maybeRecordHistory(h, orderId, 'three-d-secure');
});

test('a webhook that arrives before the workflow waits is kept, and found by payment id too', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book);
  await h.stopWorker();
  let orderId: string;
  try {
    orderId = await placeOrder(h, who, p, 'tok_threeDSecureRequired');
    // Nothing has run yet: the signal is buffered in the workflow's history.
    expect((await webhook({ type: 'payment_intent.succeeded', data: { orderId } })).body.ignored).toBe(false);
  } finally {
    await h.restartWorker();
  }
  await waitForStatus(h, orderId, ['confirmed']);
  await waitForWorkflowDone(h, orderId);

  const other = await placeOrder(h, who, p, 'tok_threeDSecureRequired');
  await awaitingPayment(other);
  const paymentId = (await sandboxPaymentOf(h, other))!.id;
  expect((await webhook({ type: 'payment_intent.succeeded', data: { paymentId } })).body).toMatchObject({
    orderId: other,
    ignored: false,
  });
  await waitForStatus(h, other, ['confirmed']);
  await waitForWorkflowDone(h, other);
});

test('the webhook refuses a missing, wrong or stale signature with 401 and ignores unknown event types', async () => {
  const body = { type: 'payment_intent.succeeded', data: { orderId: '00000000-0000-4000-8000-000000000000' } };
  expect((await webhook(body, { signature: null })).status).toBe(401);
  expect((await webhook(body, { secret: 'not-the-secret-at-all' })).status).toBe(401);
  expect((await webhook(body, { at: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(401);
  expect((await webhook(body, { signature: 't=abc,v1=zz' })).status).toBe(401);
  // A customer token is not a substitute for the signature.
  const tokenOnly = await h.call('POST', '/payments/webhook', { token: await h.token('customer'), body });
  expect(tokenOnly.status).toBe(401);
  expect((await webhook({ type: 'charge.dispute.created', data: { orderId: body.data.orderId } })).body.ignored).toBe(
    true,
  );
  expect((await webhook(body)).body.ignored).toBe(true); // unknown order: acknowledged, nothing to signal
  expect((await webhook({ type: 'x', data: {} })).status).toBe(400);
});

test('no confirmation before the deadline: payment voided, stock back, order failed (payment_confirmation_timeout)', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 2 });
  const orderId = await placeOrder(h, who, p, 'tok_threeDSecureRequired', 2);
  await awaitingPayment(orderId);
  expect(await stockOf(p)).toBe(0);
  const row = await waitForStatus(h, orderId, ['failed'], 15_000);
  expect(row).toMatchObject({ failureReason: 'payment_confirmation_timeout', paymentStatus: 'voided' });
  await waitForWorkflowDone(h, orderId);
  expect(await stockOf(p)).toBe(2);
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'voided' });
  expect(await events(h, orderId)).toEqual(
    expect.arrayContaining(['payment.voided', 'inventory.released', 'order.failed']),
  );
  await maybeRecordHistory(h, orderId, 'confirmation-timeout');
});

test('POST /orders/:id/cancel before capture voids and releases: 200 cancelled; again 409; a stranger 404', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 3 });
  const orderId = await placeOrder(h, who, p, 'tok_threeDSecureRequired');
  await awaitingPayment(orderId);
  expect((await h.call('POST', `/orders/${orderId}/cancel`, { token: await h.token('customer') })).status).toBe(404);
  const res = await h.call('POST', `/orders/${orderId}/cancel`, {
    token: who.token,
    body: { reason: 'changed my mind' },
  });
  expect(res).toMatchObject({
    status: 200,
    body: { orderId, status: 'cancelled', paymentState: 'voided', failureReason: 'changed my mind' },
  });
  expect(await stockOf(p)).toBe(3);
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'voided' });
  expect(await events(h, orderId)).toEqual(
    expect.arrayContaining(['payment.voided', 'inventory.released', 'order.cancelled']),
  );
  expect((await h.call('POST', `/orders/${orderId}/cancel`, { token: who.token })).status).toBe(409);
  // A confirmation after the cancel is too late and harmless.
  expect((await webhook({ type: 'payment_intent.succeeded', data: { orderId } })).status).toBe(200);
  await handleOf(orderId).result();
  expect((await h.call('POST', `/orders/${orderId}/cancel`, { token: who.token })).status).toBe(409);
  await maybeRecordHistory(h, orderId, 'cancel');
});

test('the cancel signal (for operators on the CLI) does the same as the Update', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book);
  const orderId = await placeOrder(h, who, p, 'tok_threeDSecureRequired');
  await awaitingPayment(orderId);
  await handleOf(orderId).signal(CANCEL_SIGNAL, { reason: 'operator' });
  expect(await waitForStatus(h, orderId, ['cancelled'])).toMatchObject({
    failureReason: 'operator',
    paymentStatus: 'voided',
  });
  await handleOf(orderId).result();
});

test('the paymentConfirmed signal sent directly (as `temporal workflow signal` does) confirms the order', async () => {
  const who = await shopper(h);
  const orderId = await placeOrder(h, who, await seedProduct(h, book), 'tok_threeDSecureRequired');
  await awaitingPayment(orderId);
  await handleOf(orderId).signal(PAYMENT_CONFIRMED_SIGNAL);
  await waitForStatus(h, orderId, ['confirmed']);
  await waitForWorkflowDone(h, orderId);
});

test('cancel after confirmation within the window refunds and restocks; after the window it is 409', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 5, priceCents: 700 });
  const orderId = await placeOrder(h, who, p, 'tok_visa', 2);
  await waitForStatus(h, orderId, ['confirmed']);
  await waitForWorkflowDone(h, orderId);
  expect(await stockOf(p)).toBe(3);
  const res = await h.call('POST', `/orders/${orderId}/cancel`, { token: who.token });
  expect(res).toMatchObject({ status: 200, body: { status: 'cancelled', paymentState: 'refunded' } });
  expect(await stockOf(p)).toBe(5);
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({
    status: 'refunded',
    capturedCents: 1400,
    refundedCents: 1400,
  });
  expect(await events(h, orderId)).toEqual(
    expect.arrayContaining(['payment.refunded', 'inventory.released', 'order.cancelled', 'order.refunded']),
  );
  await handleOf(orderId).result();
  await maybeRecordHistory(h, orderId, 'refund');

  const kept = await placeOrder(h, who, p, 'tok_visa');
  await waitForStatus(h, kept, ['confirmed']);
  const result = await handleOf(kept).result(); // the window (5 s) passes
  expect(result.status).toBe('confirmed');
  const late = await h.call('POST', `/orders/${kept}/cancel`, { token: who.token });
  expect(late.status).toBe(409);
  expect(await stockOf(p)).toBe(4);
});
