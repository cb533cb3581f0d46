/** Checkout through HTTP on a real Temporal dev server and database: success, declines, out of stock, validation. */
import { eq } from 'drizzle-orm';
import { products } from '../../db/schema';
import { checkoutWorkflowId } from '../../contract';
import type { Harness } from '../support/harness';
import {
  checkoutBody,
  activityFailureOf,
  checkoutSuite,
  events,
  maybeRecordHistory,
  orderRow,
  placeOrder,
  postCheckout,
  sandboxPaymentOf,
  seedCart,
  seedProduct,
  shopper,
  waitForStatus,
  waitForWorkflowDone,
} from './helpers';

let h: Harness;

const book = checkoutSuite({ env: { CANCELLATION_WINDOW: '1s' } }, (started) => (h = started));

test('a card that authorizes ends confirmed, captured, stock committed, with the full timeline', async () => {
  const who = await shopper(h);
  const a = await seedProduct(h, book, { stock: 5, priceCents: 1250 });
  const b = await seedProduct(h, book, { stock: 5, priceCents: 300 });
  const cartId = await seedCart(h, who.id, [
    { productId: a, quantity: 2 },
    { productId: b, quantity: 1 },
  ]);
  const res = await postCheckout(h, who, checkoutBody(cartId));
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ status: 'pending', links: { self: `/orders/${res.body.orderId}` } });
  const orderId = res.body.orderId;
  await waitForStatus(h, orderId, ['confirmed']);
  await waitForWorkflowDone(h, orderId);

  // A later price change does not touch the order: the lines are a snapshot.
  await h.db.db.update(products).set({ priceCents: 9999 }).where(eq(products.id, a));
  const got = await h.call('GET', `/orders/${orderId}`, { token: who.token });
  expect(got.status).toBe(200);
  expect(got.body).toMatchObject({
    id: orderId,
    status: 'confirmed',
    paymentState: 'captured',
    currency: 'EUR',
    totalCents: 2800,
  });
  expect(got.body.lines.find((l: any) => l.productId === a)).toMatchObject({
    unitPriceCents: 1250,
    quantity: 2,
    lineTotalCents: 2500,
  });
  expect(got.body.shippingAddress.country).toBe('GB');
  const types = got.body.timeline.map((e: any) => e.type);
  expect(types.slice(0, 5)).toEqual([
    'order.created',
    'inventory.reserved',
    'payment.authorized',
    'payment.processed',
    'order.confirmed',
  ]);
  const [pa] = await h.db.db.select().from(products).where(eq(products.id, a));
  expect(pa!.stock).toBe(3);
  expect((await sandboxPaymentOf(h, orderId))!.status).toBe('captured');

  const result = await h.client.workflow.getHandle(checkoutWorkflowId(orderId)).result();
  expect(result).toMatchObject({ status: 'confirmed', paymentState: 'captured' });
  await maybeRecordHistory(h, orderId, 'success');
});

test.each([
  ['tok_chargeDeclined', 'card_declined', 'decline'],
  ['tok_chargeDeclinedInsufficientFunds', 'insufficient_funds', 'insufficient-funds'],
])('%s fails the order with PaymentDeclined (%s) and gives the stock back', async (token, code, fixture) => {
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 3 });
  const orderId = await placeOrder(h, who, p, token, 2);
  const row = await waitForStatus(h, orderId, ['failed']);
  expect(row).toMatchObject({ failureReason: `payment_declined:${code}`, paymentStatus: 'failed' });
  await waitForWorkflowDone(h, orderId);
  const [prod] = await h.db.db.select().from(products).where(eq(products.id, p));
  expect(prod!.stock).toBe(3);
  const types = await events(h, orderId);
  expect(types).toEqual(
    expect.arrayContaining([
      'order.created',
      'inventory.reserved',
      'payment.failed',
      'inventory.released',
      'order.failed',
    ]),
  );
  expect(types).not.toContain('payment.processed');
  const payment = await sandboxPaymentOf(h, orderId);
  expect(payment).toMatchObject({ status: 'declined', attempts: 1 });
  if (fixture === 'decline') await maybeRecordHistory(h, orderId, 'decline');
});

test('a line short of stock fails the whole reservation with OutOfStock naming it, nothing held, no charge', async () => {
  const who = await shopper(h);
  const plenty = await seedProduct(h, book, { stock: 10 });
  const scarce = await seedProduct(h, book, { stock: 1 });
  const cartId = await seedCart(h, who.id, [
    { productId: plenty, quantity: 2 },
    { productId: scarce, quantity: 2 },
  ]);
  const res = await postCheckout(h, who, checkoutBody(cartId));
  expect(res.status).toBe(202);
  const orderId = res.body.orderId;
  const row = await waitForStatus(h, orderId, ['failed']);
  expect(row!.failureReason).toBe('out_of_stock');
  await waitForWorkflowDone(h, orderId);
  const shelf = await h.db.db.select().from(products);
  expect(shelf.find((p) => p.id === plenty)!.stock).toBe(10);
  expect(shelf.find((p) => p.id === scarce)!.stock).toBe(1);
  expect(await sandboxPaymentOf(h, orderId)).toBeUndefined();
  expect(await events(h, orderId)).toEqual(expect.arrayContaining(['order.created', 'order.failed']));
  const history = await h.client.workflow.getHandle(checkoutWorkflowId(orderId)).fetchHistory();
  // A local activity's failure is recorded on its marker (docs/checkout.md, "What an operator sees").
  const failure = JSON.stringify(activityFailureOf(history.events ?? []));
  expect(failure).toContain('OutOfStock');
  expect(failure).toContain(`SKU-${scarce.slice(0, 8)}`);
  await maybeRecordHistory(h, orderId, 'out-of-stock');
});

test('tok_flaky: two 503s are retried with the same key, then one authorization and one capture', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book);
  const orderId = await placeOrder(h, who, p, 'tok_flaky');
  await waitForStatus(h, orderId, ['confirmed']);
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'captured', attempts: 3 });
  await waitForWorkflowDone(h, orderId);
});

test('tok_timeoutAfterCharge: the lost answer is retried and finds the same authorization (no double charge)', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book);
  const orderId = await placeOrder(h, who, p, 'tok_timeoutAfterCharge');
  await waitForStatus(h, orderId, ['confirmed']);
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'captured', attempts: 2 });
  await waitForWorkflowDone(h, orderId);
});

describe('POST /checkout validation', () => {
  test('without an Idempotency-Key: 400 problem+json', async () => {
    const who = await shopper(h);
    const cartId = await seedCart(h, who.id, [{ productId: await seedProduct(h, book), quantity: 1 }]);
    const res = await h.call('POST', '/checkout', { token: who.token, body: checkoutBody(cartId) });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  test('an Idempotency-Key longer than 255 characters: 400', async () => {
    const who = await shopper(h);
    const cartId = await seedCart(h, who.id, [{ productId: await seedProduct(h, book), quantity: 1 }]);
    expect((await postCheckout(h, who, checkoutBody(cartId), 'k'.repeat(256))).status).toBe(400);
  });

  test('without a token: 401', async () => {
    const res = await h.call('POST', '/checkout', {
      body: checkoutBody('00000000-0000-4000-8000-000000000000'),
      headers: { 'idempotency-key': 'x' },
    });
    expect(res.status).toBe(401);
  });

  test('a bad country code or payment method: 400 naming the field', async () => {
    const who = await shopper(h);
    const body = checkoutBody('00000000-0000-4000-8000-000000000000');
    const res = await postCheckout(h, who, {
      ...body,
      shippingAddress: { ...body.shippingAddress, country: 'Germany' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.path)).toContain('shippingAddress.country');
    expect((await postCheckout(h, who, { ...body, payment: { method: 'cash', token: 'x' } })).status).toBe(400);
  });

  test("someone else's cart: 404, and no workflow starts", async () => {
    const owner = await shopper(h);
    const stranger = await shopper(h);
    const cartId = await seedCart(h, owner.id, [{ productId: await seedProduct(h, book), quantity: 1 }]);
    const res = await postCheckout(h, stranger, checkoutBody(cartId), 'stranger-key');
    expect(res.status).toBe(404);
  });

  test('an empty cart: 422 before any workflow starts', async () => {
    const who = await shopper(h);
    const cartId = await seedCart(h, who.id, []);
    const res = await postCheckout(h, who, checkoutBody(cartId));
    expect(res.status).toBe(422);
    expect(res.body.type).toContain('empty-cart');
  });

  test('an inactive product in the cart: 422 naming its SKU', async () => {
    const who = await shopper(h);
    const off = await seedProduct(h, book, { active: false });
    const cartId = await seedCart(h, who.id, [{ productId: off, quantity: 1 }]);
    const res = await postCheckout(h, who, checkoutBody(cartId));
    expect(res.status).toBe(422);
    expect(res.body.skus).toEqual([`SKU-${off.slice(0, 8)}`]);
  });
});

describe('idempotency', () => {
  test('the same key and body again: 200 with the same order; a different body: 422', async () => {
    const who = await shopper(h);
    const p = await seedProduct(h, book);
    const cartId = await seedCart(h, who.id, [{ productId: p, quantity: 1 }]);
    const first = await postCheckout(h, who, checkoutBody(cartId), 'order-once');
    expect(first.status).toBe(202);
    const again = await postCheckout(h, who, checkoutBody(cartId), 'order-once');
    expect([200, 202]).toContain(again.status);
    expect(again.body.orderId).toBe(first.body.orderId);
    const other = await postCheckout(h, who, { ...checkoutBody(cartId), email: 'other@example.com' }, 'order-once');
    expect(other.status).toBe(422);
    await waitForStatus(h, first.body.orderId, ['confirmed']);
    const later = await postCheckout(h, who, checkoutBody(cartId), 'order-once');
    expect(later).toMatchObject({ status: 200, body: { orderId: first.body.orderId, status: 'confirmed' } });
    // The key belongs to its customer: another customer's same key is another order.
    const someoneElse = await shopper(h);
    const theirCart = await seedCart(h, someoneElse.id, [{ productId: p, quantity: 1 }]);
    const theirs = await postCheckout(h, someoneElse, checkoutBody(theirCart), 'order-once');
    expect(theirs.status).toBe(202);
    expect(theirs.body.orderId).not.toBe(first.body.orderId);
    await waitForStatus(h, theirs.body.orderId, ['confirmed']);
    await waitForWorkflowDone(h, first.body.orderId);
    await waitForWorkflowDone(h, theirs.body.orderId);
  });
});

describe('reading orders', () => {
  test('GET /orders/:id: owner and admin see it, a stranger gets 404; the timeline has times and data', async () => {
    const who = await shopper(h);
    const orderId = await placeOrder(h, who, await seedProduct(h, book));
    await waitForStatus(h, orderId, ['confirmed']);
    expect((await h.call('GET', `/orders/${orderId}`, { token: await h.token('customer') })).status).toBe(404);
    expect((await h.call('GET', `/orders/${orderId}`)).status).toBe(401);
    const admin = await h.call('GET', `/orders/${orderId}`, { token: await h.token('admin') });
    expect(admin.body.status).toBe('confirmed');
    const ev = await h.call('GET', `/orders/${orderId}/events`, { token: who.token });
    expect(ev.status).toBe(200);
    expect(ev.body.items[0]).toMatchObject({ type: 'order.created', data: { currency: 'EUR' } });
    expect(new Date(ev.body.items[0].at).getTime()).not.toBeNaN();
    expect((await h.call('GET', `/orders/${orderId}/events`, { token: await h.token('customer') })).status).toBe(404);
    await waitForWorkflowDone(h, orderId);
  });

  test('an accepted order whose workflow has not run yet reads as pending, not 404', async () => {
    const who = await shopper(h);
    const p = await seedProduct(h, book);
    await h.stopWorker();
    try {
      const orderId = await placeOrder(h, who, p);
      const res = await h.call('GET', `/orders/${orderId}`, { token: who.token });
      expect(res).toMatchObject({ status: 200, body: { id: orderId, status: 'pending', lines: [] } });
      expect((await h.call('GET', `/orders/${orderId}`, { token: await h.token('customer') })).status).toBe(404);
      expect(await orderRow(h, orderId)).toBeUndefined();
      await h.restartWorker();
      await waitForStatus(h, orderId, ['confirmed']);
      await waitForWorkflowDone(h, orderId);
    } finally {
      if (!h.worker) await h.restartWorker();
    }
  });

  test('GET /orders lists only the caller’s orders, newest first, with a cursor; admin sees all and filters by status', async () => {
    const who = await shopper(h);
    const p = await seedProduct(h, book);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await placeOrder(h, who, p));
    for (const id of ids) await waitForStatus(h, id, ['confirmed']);
    const page1 = await h.call('GET', '/orders?limit=2', { token: who.token });
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(2);
    const page2 = await h.call('GET', `/orders?limit=2&cursor=${page1.body.nextCursor}`, { token: who.token });
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.nextCursor).toBeNull();
    const seen = [...page1.body.items, ...page2.body.items].map((o: any) => o.id);
    expect(new Set(seen)).toEqual(new Set(ids));
    const other = await h.call('GET', '/orders', { token: await h.token('customer') });
    expect(other.body.items).toEqual([]);
    const failed = await h.call('GET', '/orders?status=failed&limit=100', { token: await h.token('admin') });
    expect(failed.body.items.length).toBeGreaterThan(0);
    expect(failed.body.items.every((o: any) => o.status === 'failed')).toBe(true);
    expect((await h.call('GET', '/orders?cursor=garbage', { token: who.token })).status).toBe(400);
    for (const id of ids) await waitForWorkflowDone(h, id);
  });
});
