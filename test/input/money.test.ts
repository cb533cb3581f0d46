/**
 * Money that fits: every amount the API accepts fits the integer amount columns. A cart may not grow past
 * MAX_CART_TOTAL_CENTS, and a cart that is past it (prices rose since) is refused at checkout with a 422, never
 * accepted with a 202 that then fails inside the workflow.
 */
import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities';
import { INVALID_CART, MAX_CART_TOTAL_CENTS } from '../../contract';
import { cartLines, orders } from '../../db/schema';
import { productInput } from '../catalog/fixtures';
import {
  checkoutBody,
  checkoutInput,
  postCheckout,
  seedCart,
  seedProduct,
  shopper,
  waitForStatus,
  checkoutSuite,
} from '../checkout/helpers';
import type { Harness } from '../support/harness';

let h: Harness;
const book = checkoutSuite({}, (started) => (h = started));

const orderCount = async () => (await h.db.db.select({ n: count() }).from(orders))[0]!.n;
const linesOf = async (cartId: string) =>
  h.db.db.select({ q: cartLines.quantity }).from(cartLines).where(eq(cartLines.cartId, cartId));

async function newCart(token: string): Promise<string> {
  const res = await h.call('POST', '/carts', { token });
  expect(res.status).toBe(201);
  return res.body.id;
}

test('a unit price above MAX_PRICE_CENTS is a 400 naming priceCents', async () => {
  const admin = await h.token('admin');
  const res = await h.call('POST', '/products', { token: admin, body: productInput({ priceCents: 2_147_483_647 }) });
  expect(res.status).toBe(400);
  expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('priceCents');
});

test('adding past the cart bound is a 422 that names the bound; the cart keeps what it had', async () => {
  const who = await shopper(h);
  const productId = await seedProduct(h, book, { priceCents: 400_000_000 });
  const cartId = await newCart(who.token);
  const add = (quantity: number) =>
    h.call('POST', `/carts/${cartId}/items`, { token: who.token, body: { productId, quantity } });
  expect((await add(2)).status).toBe(200);
  const res = await add(1);
  expect(res.status).toBe(422);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body).toMatchObject({
    type: 'https://orderly.dev/problems/cart-total-too-large',
    totalCents: 1_200_000_000,
    maxTotalCents: MAX_CART_TOTAL_CENTS,
  });
  expect(await linesOf(cartId)).toEqual([{ q: 2 }]);
  // Setting a line's quantity is bounded the same way.
  const set = await h.call('PATCH', `/carts/${cartId}/items/${productId}`, { token: who.token, body: { quantity: 3 } });
  expect(set.status).toBe(422);
  expect(await linesOf(cartId)).toEqual([{ q: 2 }]);
});

test('a cart whose total is above 2,147,483,647 is a 422 at checkout: no 202, no order, no workflow', async () => {
  const who = await shopper(h);
  // Lines written straight to the database: the API no longer lets a cart get there, but prices may rise under it.
  const a = await seedProduct(h, book, { priceCents: 1_000_000_000, stock: 10 });
  const b = await seedProduct(h, book, { priceCents: 147_483_648, stock: 10 });
  const cartId = await seedCart(h, who.id, [
    { productId: a, quantity: 2 },
    { productId: b, quantity: 1 },
  ]);
  const before = await orderCount();
  const key = randomUUID();
  const res = await postCheckout(h, who, checkoutBody(cartId), key);
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({
    type: 'https://orderly.dev/problems/cart-total-too-large',
    totalCents: 2_147_483_648,
  });
  expect(await orderCount()).toBe(before);
});

test('a price raised under a cart makes its checkout a 422, not a failed order', async () => {
  const who = await shopper(h);
  const admin = await h.token('admin');
  const productId = await seedProduct(h, book, { priceCents: 500_000_000 });
  const cartId = await newCart(who.token);
  const added = await h.call('POST', `/carts/${cartId}/items`, {
    token: who.token,
    body: { productId, quantity: 2 },
  });
  expect(added.status).toBe(200);
  const raised = await h.call('PATCH', `/products/${productId}`, { token: admin, body: { priceCents: 500_000_001 } });
  expect(raised.status).toBe(200);
  const before = await orderCount();
  const res = await postCheckout(h, who, checkoutBody(cartId));
  expect(res.status).toBe(422);
  expect(res.body.totalCents).toBe(1_000_000_002);
  expect(await orderCount()).toBe(before);
});

test('a cart exactly at the bound checks out and is confirmed with that total', async () => {
  const who = await shopper(h);
  const productId = await seedProduct(h, book, { priceCents: MAX_CART_TOTAL_CENTS / 4 });
  const cartId = await seedCart(h, who.id, [{ productId, quantity: 4 }]);
  const res = await postCheckout(h, who, checkoutBody(cartId));
  expect(res.status).toBe(202);
  const row = await waitForStatus(h, res.body.orderId, ['confirmed']);
  expect(row?.totalCents).toBe(MAX_CART_TOTAL_CENTS);
});

test('createOrder on a cart past the bound fails non-retryable InvalidCart and writes nothing', async () => {
  const who = await shopper(h);
  const productId = await seedProduct(h, book, { priceCents: 1_000_000_000 });
  const cartId = await seedCart(h, who.id, [{ productId, quantity: 3 }]);
  const input = checkoutInput(who.id, cartId);
  const failure = await createActivities(h.deps)
    .createOrder(input)
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: INVALID_CART, nonRetryable: true });
  expect(await h.db.db.select().from(orders).where(eq(orders.id, input.orderId))).toEqual([]);
});
