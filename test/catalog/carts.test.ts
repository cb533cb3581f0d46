import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { cartLines, customers } from '../../db/schema';
import { startHarness, type Harness } from '../support/harness';
import { productInput, snapshot } from './fixtures';

let h: Harness;
let admin: string;
let alice: string;
let aliceId: string;
let bob: string;
beforeAll(async () => {
  h = await startHarness({ worker: false });
  admin = await h.token('admin');
  aliceId = randomUUID();
  alice = await h.token('customer', aliceId);
  bob = await h.token('customer');
});
afterAll(async () => {
  await h?.close();
});

const product = async (over: Record<string, unknown> = {}) => {
  const res = await h.call('POST', '/products', { token: admin, body: productInput(over) });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string; priceCents: number };
};
const newCart = async (token = alice) => {
  const res = await h.call('POST', '/carts', { token });
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const add = (cart: string, productId: string, quantity: number, token = alice) =>
  h.call('POST', `/carts/${cart}/items`, { token, body: { productId, quantity } });

test('creating a cart needs a token; it answers 201 with the id and records the customer', async () => {
  expect((await h.call('POST', '/carts')).status).toBe(401);
  const res = await h.call('POST', '/carts', { token: alice });
  expect(res.status).toBe(201);
  expect(res.headers.get('location')).toBe(`/carts/${res.body.id}`);
  expect(await h.db.db.select().from(customers).where(eq(customers.id, aliceId))).toHaveLength(1);
  const view = await h.call('GET', `/carts/${res.body.id}`, { token: alice });
  expect(view.body).toEqual({ id: res.body.id, customerId: aliceId, lines: [], totalCents: 0, currency: null });
});

test('adding prices lines at current prices, sums repeated adds and totals the cart', async () => {
  const tea = await product({ priceCents: 250, stock: 100 });
  const cup = await product({ priceCents: 1200, stock: 100 });
  const cart = await newCart();
  expect((await add(cart, tea.id, 2)).status).toBe(200);
  await add(cart, cup.id, 1);
  const res = await add(cart, tea.id, 3);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ id: cart, currency: 'EUR', totalCents: 5 * 250 + 1200 });
  expect(res.body.lines).toEqual([
    {
      productId: tea.id,
      name: tea.name,
      quantity: 5,
      unitPriceCents: 250,
      lineTotalCents: 1250,
      inStock: true,
      available: 100,
      purchasable: true,
    },
    {
      productId: cup.id,
      name: cup.name,
      quantity: 1,
      unitPriceCents: 1200,
      lineTotalCents: 1200,
      inStock: true,
      available: 100,
      purchasable: true,
    },
  ]);
  // A later price change shows in the cart: carts are priced now, orders at checkout.
  await h.call('PATCH', `/products/${cup.id}`, { token: admin, body: { priceCents: 1000 } });
  expect((await h.call('GET', `/carts/${cart}`, { token: alice })).body.totalCents).toBe(1250 + 1000);
});

test('20 concurrent adds of one unit end with quantity 20 (no lost update)', async () => {
  const p = await product({ stock: 1000 });
  const cart = await newCart();
  const results = await Promise.all(Array.from({ length: 20 }, () => add(cart, p.id, 1)));
  expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
  const view = await h.call('GET', `/carts/${cart}`, { token: alice });
  expect(view.body.lines[0].quantity).toBe(20);
});

test('a quantity above stock is kept, and the line says it is not in stock', async () => {
  const p = await product({ stock: 3 });
  const cart = await newCart();
  const res = await add(cart, p.id, 5);
  expect(res.status).toBe(200);
  expect(res.body.lines[0]).toMatchObject({ quantity: 5, inStock: false, available: 3 });
});

test('a line holds at most 1000: an add past the cap is 422 and leaves the line as it was', async () => {
  const p = await product();
  const cart = await newCart();
  await add(cart, p.id, 600);
  const before = await snapshot(h.db.db);
  const res = await add(cart, p.id, 401);
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({ status: 422, maxQuantity: 1000 });
  expect(await snapshot(h.db.db)).toEqual(before);
  expect((await add(cart, p.id, 400)).body.lines[0].quantity).toBe(1000);
});

test.each([
  ['quantity 0', { quantity: 0 }],
  ['quantity 1001', { quantity: 1001 }],
  ['a negative quantity', { quantity: -2 }],
  ['a fractional quantity', { quantity: 1.5 }],
  ['a string quantity', { quantity: '2' }],
  ['a malformed productId', { productId: 'nope' }],
  ['an unknown field', { note: 'gift' }],
])('adding with %s is a 400 and changes nothing', async (_what, over) => {
  const p = await product();
  const cart = await newCart();
  const before = await snapshot(h.db.db);
  const res = await h.call('POST', `/carts/${cart}/items`, {
    token: alice,
    body: { productId: p.id, quantity: 1, ...over },
  });
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body.errors.length).toBeGreaterThan(0);
  expect(await snapshot(h.db.db)).toEqual(before);
});

test('malformed JSON is 400, a non-JSON body 415, an oversized body 413, all changing nothing', async () => {
  const p = await product();
  const cart = await newCart();
  const before = await snapshot(h.db.db);
  expect((await h.call('POST', `/carts/${cart}/items`, { token: alice, body: '{"productId":' })).status).toBe(400);
  const form = await h.call('POST', `/carts/${cart}/items`, {
    token: alice,
    body: `productId=${p.id}&quantity=1`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  expect(form.status).toBe(415);
  const big = await h.call('PATCH', `/carts/${cart}/items/${p.id}`, {
    token: alice,
    body: JSON.stringify({ quantity: 1, pad: 'x'.repeat(1024 * 1024) }),
  });
  expect(big.status).toBe(413);
  expect(await snapshot(h.db.db)).toEqual(before);
});

test('an unknown, inactive or archived product cannot be added (422)', async () => {
  const cart = await newCart();
  const inactive = await product({ active: false });
  const archived = await product();
  await h.call('DELETE', `/products/${archived.id}`, { token: admin });
  for (const id of [randomUUID(), inactive.id]) {
    const res = await add(cart, id, 1);
    expect(res.status).toBe(422);
    expect(res.body.productId).toBe(id);
  }
  expect((await h.call('GET', `/carts/${cart}`, { token: alice })).body.lines).toEqual([]);
});

test('all lines share one currency: another is 422 until the cart is empty again', async () => {
  const eur = await product({ currency: 'EUR' });
  const usd = await product({ currency: 'USD' });
  const cart = await newCart();
  await add(cart, eur.id, 1);
  const mixed = await add(cart, usd.id, 1);
  expect(mixed.status).toBe(422);
  expect(mixed.body).toMatchObject({ cartCurrency: 'EUR', productCurrency: 'USD' });
  const emptied = await h.call('DELETE', `/carts/${cart}/items/${eur.id}`, { token: alice });
  expect(emptied.body).toMatchObject({ lines: [], currency: null, totalCents: 0 });
  expect((await add(cart, usd.id, 1)).body.currency).toBe('USD');
});

test('PATCH sets a quantity, 0 removes the line; a missing line is 404', async () => {
  const p = await product();
  const q = await product();
  const cart = await newCart();
  await add(cart, p.id, 1);
  await add(cart, q.id, 1);
  const set = await h.call('PATCH', `/carts/${cart}/items/${p.id}`, { token: alice, body: { quantity: 7 } });
  expect(set.status).toBe(200);
  expect(set.body.lines.find((l: { productId: string }) => l.productId === p.id).quantity).toBe(7);
  const zero = await h.call('PATCH', `/carts/${cart}/items/${p.id}`, { token: alice, body: { quantity: 0 } });
  expect(zero.body.lines.map((l: { productId: string }) => l.productId)).toEqual([q.id]);
  expect((await h.call('PATCH', `/carts/${cart}/items/${p.id}`, { token: alice, body: { quantity: 2 } })).status).toBe(
    404,
  );
  expect(
    (await h.call('PATCH', `/carts/${cart}/items/${q.id}`, { token: alice, body: { quantity: 1001 } })).status,
  ).toBe(400);
  expect(
    (await h.call('PATCH', `/carts/${cart}/items/${q.id}`, { token: alice, body: { quantity: 1, x: 1 } })).status,
  ).toBe(400);
  expect((await h.call('DELETE', `/carts/${cart}/items/${p.id}`, { token: alice })).status).toBe(404);
  expect((await h.call('DELETE', `/carts/${cart}/items/not-a-uuid`, { token: alice })).status).toBe(404);
});

test('another customer’s cart is 404 on every route and stays unchanged; an admin may read it', async () => {
  const p = await product();
  const cart = await newCart();
  await add(cart, p.id, 2);
  const before = await snapshot(h.db.db);
  const attempts = [
    await h.call('GET', `/carts/${cart}`, { token: bob }),
    await add(cart, p.id, 1, bob),
    await h.call('PATCH', `/carts/${cart}/items/${p.id}`, { token: bob, body: { quantity: 9 } }),
    await h.call('DELETE', `/carts/${cart}/items/${p.id}`, { token: bob }),
    await h.call('DELETE', `/carts/${cart}`, { token: bob }),
  ];
  expect(attempts.map((r) => r.status)).toEqual([404, 404, 404, 404, 404]);
  for (const r of attempts) expect(r.headers.get('content-type')).toBe('application/problem+json');
  expect(await snapshot(h.db.db)).toEqual(before);
  const asAdmin = await h.call('GET', `/carts/${cart}`, { token: admin });
  expect(asAdmin.status).toBe(200);
  expect(asAdmin.body.customerId).toBe(aliceId);
});

test('every cart route needs a token (401), and unknown or malformed cart ids are 404', async () => {
  const cart = await newCart();
  const pid = randomUUID();
  for (const [method, path, body] of [
    ['GET', `/carts/${cart}`, undefined],
    ['POST', `/carts/${cart}/items`, { productId: pid, quantity: 1 }],
    ['PATCH', `/carts/${cart}/items/${pid}`, { quantity: 1 }],
    ['DELETE', `/carts/${cart}/items/${pid}`, undefined],
    ['DELETE', `/carts/${cart}`, undefined],
  ] as const) {
    expect((await h.call(method, path, { body })).status).toBe(401);
  }
  expect((await h.call('GET', `/carts/${randomUUID()}`, { token: alice })).status).toBe(404);
  expect((await h.call('GET', '/carts/123', { token: alice })).status).toBe(404);
  expect((await add('123', pid, 1)).status).toBe(404);
});

test('DELETE removes the cart and its lines', async () => {
  const p = await product();
  const cart = await newCart();
  await add(cart, p.id, 1);
  expect((await h.call('DELETE', `/carts/${cart}`, { token: alice })).status).toBe(204);
  expect((await h.call('GET', `/carts/${cart}`, { token: alice })).status).toBe(404);
  expect(await h.db.db.select().from(cartLines).where(eq(cartLines.cartId, cart))).toHaveLength(0);
  expect((await h.call('DELETE', `/carts/${cart}`, { token: alice })).status).toBe(404);
});
