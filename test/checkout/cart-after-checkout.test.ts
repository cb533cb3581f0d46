/** What checkout does to the cart: bought units leave it on confirmation, a failure leaves it whole, one checkout at a time. */
import { eq } from 'drizzle-orm';
import { products } from '../../db/schema';
import { PAYMENT_CONFIRMED_SIGNAL, checkoutWorkflowId } from '../../contract';
import type { Harness } from '../support/harness';
import { checkoutBody, checkoutSuite, postCheckout, seedCart, seedProduct, shopper, waitForStatus } from './helpers';

let h: Harness;

const book = checkoutSuite({ env: { CANCELLATION_WINDOW: '1s' } }, (started) => (h = started));

test('a confirmed checkout takes the bought units out of the cart and leaves units added meanwhile', async () => {
  const who = await shopper(h);
  const a = await seedProduct(h, book, { stock: 10, priceCents: 500 });
  const b = await seedProduct(h, book, { stock: 10, priceCents: 700 });
  const cartId = await seedCart(h, who.id, [
    { productId: a, quantity: 2 },
    { productId: b, quantity: 1 },
  ]);
  // 3-D Secure holds the checkout after the snapshot, so the add below lands between snapshot and confirmation.
  const res = await postCheckout(h, who, checkoutBody(cartId, 'tok_threeDSecureRequired'));
  expect(res.status).toBe(202);
  await waitForStatus(h, res.body.orderId, ['awaiting_payment']);
  const more = await h.call('POST', `/carts/${cartId}/items`, {
    token: who.token,
    body: { productId: a, quantity: 3 },
  });
  expect(more.status).toBe(200);
  await h.client.workflow.getHandle(checkoutWorkflowId(res.body.orderId)).signal(PAYMENT_CONFIRMED_SIGNAL, {});
  await waitForStatus(h, res.body.orderId, ['confirmed']);
  const cart = await h.call('GET', `/carts/${cartId}`, { token: who.token });
  expect(cart.status).toBe(200);
  // The stock change is a new representation of the product: its version (and so its ETag) moved on.
  const [prod] = await h.db.db.select({ version: products.version }).from(products).where(eq(products.id, a));
  expect(prod?.version).toBeGreaterThan(1);
  expect(cart.body.lines.map((l: any) => [l.productId, l.quantity])).toEqual([[a, 3]]);
});

test('a declined checkout leaves the cart as it was', async () => {
  const who = await shopper(h);
  const a = await seedProduct(h, book, { stock: 10, priceCents: 500 });
  const cartId = await seedCart(h, who.id, [{ productId: a, quantity: 2 }]);
  const res = await postCheckout(h, who, checkoutBody(cartId, 'tok_chargeDeclined'));
  await waitForStatus(h, res.body.orderId, ['failed']);
  const cart = await h.call('GET', `/carts/${cartId}`, { token: who.token });
  expect(cart.body.lines.map((l: any) => [l.productId, l.quantity])).toEqual([[a, 2]]);
});

test('a second checkout of a cart while the first waits for payment is 409 naming the order', async () => {
  const who = await shopper(h);
  const a = await seedProduct(h, book, { stock: 10, priceCents: 500 });
  const cartId = await seedCart(h, who.id, [{ productId: a, quantity: 1 }]);
  const first = await postCheckout(h, who, checkoutBody(cartId, 'tok_threeDSecureRequired'));
  await waitForStatus(h, first.body.orderId, ['awaiting_payment']);
  const second = await postCheckout(h, who, checkoutBody(cartId));
  expect(second.status).toBe(409);
  expect(second.headers.get('content-type')).toBe('application/problem+json');
  expect(second.body.orderId).toBe(first.body.orderId);
  // Release the first so the invariants check sees a terminal order.
  const cancel = await h.call('POST', `/orders/${first.body.orderId}/cancel`, {
    token: who.token,
    body: { reason: 'test' },
  });
  expect(cancel.status).toBe(200);
  await waitForStatus(h, first.body.orderId, ['cancelled']);
});
