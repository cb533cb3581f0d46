/** Under pressure: concurrent repeats of one request, a stampede on scarce stock, and a worker lost mid-checkout. */
import { eq, inArray } from 'drizzle-orm';
import { inventoryReservations, orders, products, sandboxLedger } from '../../db/schema';
import { signWebhook } from '../../api/orders/webhook-signature';
import type { Harness } from '../support/harness';
import {
  checkoutBody,
  checkoutHandle,
  checkoutSuite,
  orderRow,
  placeOrder,
  postCheckout,
  sandboxPaymentOf,
  seedCart,
  seedProduct,
  shopper,
  waitFor,
  waitForHistoryEvent,
  waitForStatus,
  waitForWorkflowDone,
} from './helpers';

let h: Harness;

const book = checkoutSuite(
  { env: { CANCELLATION_WINDOW: '1s', PAYMENT_CONFIRMATION_TIMEOUT: '1m' } },
  (started) => (h = started),
);

test('20 concurrent identical requests start exactly one workflow and all name the same order', async () => {
  const who = await shopper(h);
  const cartId = await seedCart(h, who.id, [{ productId: await seedProduct(h, book), quantity: 1 }]);
  const responses = await Promise.all(
    Array.from({ length: 20 }, () => postCheckout(h, who, checkoutBody(cartId), 'same-key-20')),
  );
  expect(responses.map((r) => r.status).filter((s) => s === 202)).toHaveLength(1);
  expect(responses.every((r) => r.status === 200 || r.status === 202)).toBe(true);
  const ids = new Set(responses.map((r) => r.body.orderId));
  expect(ids.size).toBe(1);
  const [orderId] = [...ids] as string[];
  await waitForStatus(h, orderId!, ['confirmed']);
  await waitForWorkflowDone(h, orderId!);
  const ledger = await h.db.db.select().from(sandboxLedger).where(eq(sandboxLedger.operation, 'capture'));
  expect(ledger.filter((l) => l.idempotencyKey.includes(orderId!))).toHaveLength(1);
});

test('100 concurrent checkouts of one unit against stock 10: exactly 10 confirmed, 90 OutOfStock, nothing held', async () => {
  const p = await seedProduct(h, book, { stock: 10, priceCents: 500 });
  const shoppers = await Promise.all(Array.from({ length: 100 }, () => shopper(h)));
  const carts = await Promise.all(shoppers.map((s) => seedCart(h, s.id, [{ productId: p, quantity: 1 }])));
  const responses = await Promise.all(shoppers.map((s, i) => postCheckout(h, s, checkoutBody(carts[i]!))));
  expect(responses.map((r) => r.status)).toEqual(Array(100).fill(202));
  const ids = responses.map((r) => r.body.orderId as string);
  const rows = await waitFor(
    'all 100 orders terminal',
    () => h.db.db.select().from(orders).where(inArray(orders.id, ids)),
    (rs) => rs.length === 100 && rs.every((r) => r.status === 'confirmed' || r.status === 'failed'),
    110_000,
  );
  expect(rows.filter((r) => r.status === 'confirmed')).toHaveLength(10);
  const failed = rows.filter((r) => r.status === 'failed');
  expect(failed).toHaveLength(90);
  expect(new Set(failed.map((r) => r.failureReason))).toEqual(new Set(['out_of_stock']));
  const [prod] = await h.db.db.select().from(products).where(eq(products.id, p));
  expect(prod!.stock).toBe(0);
  const res = await h.db.db.select().from(inventoryReservations).where(eq(inventoryReservations.productId, p));
  expect(res.filter((r) => r.status === 'held')).toEqual([]);
  expect(res.filter((r) => r.status === 'committed')).toHaveLength(10);
  await Promise.all(ids.map((id) => waitForWorkflowDone(h, id, 60_000)));
}, 180_000);

test('a worker stopped during the 3-D Secure wait: the confirmation waits in history, a new worker completes, charged once', async () => {
  const who = await shopper(h);
  const orderId = await placeOrder(h, who, await seedProduct(h, book), 'tok_threeDSecureRequired');
  await waitForStatus(h, orderId, ['awaiting_payment']);
  await h.stopWorker();
  try {
    const raw = JSON.stringify({ type: 'payment_intent.succeeded', data: { orderId } });
    const hook = await h.call('POST', '/payments/webhook', {
      body: raw,
      headers: { 'orderly-signature': signWebhook(h.config.payment.webhookSecret, raw) },
    });
    expect(hook.status).toBe(200);
    // The confirmation is in the workflow's history, and with no worker nothing has acted on it.
    await waitForHistoryEvent(checkoutHandle(h, orderId), 'the confirmation signal', (e) =>
      Boolean(e.workflowExecutionSignaledEventAttributes),
    );
    expect(await orderRow(h, orderId)).toMatchObject({ status: 'awaiting_payment' });
    expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'requires_action', capturedCents: 0 });
  } finally {
    await h.restartWorker();
  }
  await waitForStatus(h, orderId, ['confirmed']);
  await waitForWorkflowDone(h, orderId);
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'captured', capturedCents: 1999 });
});

test('a worker stopped between payment retries: the next worker carries on with the same key, charged once', async () => {
  const who = await shopper(h);
  const orderId = await placeOrder(h, who, await seedProduct(h, book), 'tok_flaky');
  // The first 503 has happened: the authorization is waiting for its retry.
  await waitFor(
    'first payment attempt',
    () => sandboxPaymentOf(h, orderId),
    (p) => (p?.attempts ?? 0) >= 1,
  );
  await h.stopWorker();
  // The authorization is a local activity: its retries live in the worker that runs the workflow task. With that
  // worker gone, the task times out and the next worker runs the step again, with the same idempotency key.
  await h.restartWorker();
  await waitForStatus(h, orderId, ['confirmed']);
  await waitForWorkflowDone(h, orderId);
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'captured', attempts: 3 });
});
