/**
 * The text rule at the edge: a control character or an unpaired surrogate in any field a client sends is a 400
 * problem+json naming the field, and nothing is stored (PostgreSQL refuses NUL and lone surrogates; no person means
 * the other controls).
 */
import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { signWebhook } from '../../api/orders/webhook-signature';
import { customers, orders } from '../../db/schema';
import { productInput, snapshot } from '../catalog/fixtures';
import { checkoutBody, seedCart, seedProduct, shopper, type StockBook } from '../checkout/helpers';
import { startHarness, type CallResult, type Harness } from '../support/harness';

let h: Harness;
let admin: string;
const book: StockBook = new Map();
beforeAll(async () => {
  h = await startHarness({ worker: false });
  admin = await h.token('admin');
});
afterAll(async () => {
  await h?.close();
});

const NUL = '\u0000';
const LONE = '\ud800';

/** A 400 problem+json whose errors name `field`. */
function expectRefused(res: CallResult, field: string) {
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const paths = (res.body.errors as { path: string }[]).map((e) => e.path);
  expect(paths).toContain(field);
}

const orderCount = async () => (await h.db.db.select({ n: count() }).from(orders))[0]!.n;

describe('product text', () => {
  test.each([
    ['name', NUL],
    ['name', LONE],
    ['name', 'Tea\u0007'],
    ['name', 'Tea\u0085'],
    ['name', 'Green\ttea'],
    ['description', `A${NUL}thing`],
    ['description', `A${LONE}thing`],
    ['description', 'bell\u0007'],
    ['category', `te${NUL}a`],
    ['category', `te${LONE}a`],
  ])('a product %s holding %j is a 400 naming it; nothing is written', async (field, value) => {
    const before = await snapshot(h.db.db);
    expectRefused(await h.call('POST', '/products', { token: admin, body: productInput({ [field]: value }) }), field);
    expect(await snapshot(h.db.db)).toEqual(before);
  });

  test('a change with a NUL is refused the same way, and the product keeps its name', async () => {
    const created = await h.call('POST', '/products', { token: admin, body: productInput() });
    expect(created.status).toBe(201);
    const { id, name } = created.body;
    const res = await h.call('PATCH', `/products/${id}`, { token: admin, body: { name: `x${NUL}` } });
    expectRefused(res, 'name');
    const put = await h.call('PUT', `/products/${id}`, { token: admin, body: productInput({ category: NUL }) });
    expectRefused(put, 'category');
    expect((await h.call('GET', `/products/${id}`)).body).toMatchObject({ name, version: 1 });
  });

  test('a description may span lines and hold tabs', async () => {
    const res = await h.call('POST', '/products', {
      token: admin,
      body: productInput({ description: 'Line one\r\n\tLine two' }),
    });
    expect(res.status).toBe(201);
    expect(res.body.description).toBe('Line one\r\n\tLine two');
  });
});

describe('query strings', () => {
  test.each([
    ['/products?q=tea%00', 'q'],
    ['/products?q=%1B%5B2J', 'q'],
    ['/products?category=tea%00', 'category'],
    ['/products?cursor=abc%00', 'cursor'],
  ])('GET %s is a 400 naming %s', async (path, field) => {
    expectRefused(await h.call('GET', path), field);
  });

  test('the order and notification lists refuse a cursor holding a NUL', async () => {
    const customer = await h.token('customer');
    expectRefused(await h.call('GET', '/orders?cursor=ab%00', { token: customer }), 'cursor');
    expectRefused(await h.call('GET', '/notifications?cursor=ab%00', { token: admin }), 'cursor');
  });

  test('a name cursor whose key holds a NUL is refused as an invalid cursor', async () => {
    const forged = Buffer.from(JSON.stringify(['name:asc', `a${NUL}`, randomUUID()])).toString('base64url');
    expectRefused(await h.call('GET', `/products?sort=name&cursor=${forged}`), 'cursor');
  });
});

/** A checkout of a fresh one-line cart is refused naming `field`, and no order appears. */
async function expectCheckoutRefused(field: string, bodyFor: (cartId: string) => unknown, key: string) {
  const who = await shopper(h);
  const productId = await seedProduct(h, book);
  const cartId = await seedCart(h, who.id, [{ productId, quantity: 1 }]);
  const before = await orderCount();
  const res = await h.call('POST', '/checkout', {
    token: who.token,
    body: bodyFor(cartId),
    headers: { 'idempotency-key': key },
  });
  expectRefused(res, field);
  expect(await orderCount()).toBe(before);
}

describe('checkout', () => {
  const body = (cartId: string, path: string, value: string) => {
    const b = checkoutBody(cartId) as Record<string, any>;
    const [outer, inner] = path.split('.') as [string, string];
    b[outer] = { ...b[outer], [inner]: value };
    return b;
  };

  test.each([
    ['shippingAddress.name', `Ada${NUL}`],
    ['shippingAddress.line1', `1 St${LONE}`],
    ['shippingAddress.line2', `Flat${NUL}2`],
    ['shippingAddress.city', `Lon${NUL}don`],
    ['shippingAddress.region', `\u009B`],
    ['shippingAddress.postalCode', `N1${NUL}`],
    ['payment.token', `tok_visa${NUL}`],
    ['payment.token', `tok_${LONE}`],
  ])('%s holding %j is a 400 naming it; no order, no workflow', async (field, value) => {
    await expectCheckoutRefused(field, (cartId) => body(cartId, field, value), randomUUID());
  });

  test('an Idempotency-Key holding a control character is a 400 naming the header', async () => {
    await expectCheckoutRefused('idempotency-key', checkoutBody, 'key\u0001one');
  });

  test('a cancel reason holding a NUL is a 400 naming reason', async () => {
    const customer = await h.token('customer');
    const res = await h.call('POST', `/orders/${randomUUID()}/cancel`, {
      token: customer,
      body: { reason: `changed my mind${NUL}` },
    });
    expectRefused(res, 'reason');
  });
});

describe('notification preferences', () => {
  test.each([`tok${NUL}`, `tok${LONE}`])('a push token %j is a 400 naming pushToken; nothing stored', async (value) => {
    const id = randomUUID();
    const token = await h.token('customer', id);
    const res = await h.call('PUT', '/customers/me/preferences', {
      token,
      body: { channels: ['push'], pushToken: value },
    });
    expectRefused(res, 'pushToken');
    expect(await h.db.db.select().from(customers).where(eq(customers.id, id))).toEqual([]);
  });
});

describe('payment provider webhooks', () => {
  const post = (event: unknown) => {
    const raw = JSON.stringify(event);
    return h.call('POST', '/payments/webhook', {
      body: raw,
      headers: { 'orderly-signature': signWebhook(h.config.payment.webhookSecret, raw) },
    });
  };

  test.each([
    [{ type: 'payment_intent.succeeded', data: { paymentId: `pi_${NUL}` } }, 'data.paymentId'],
    [{ type: 'payment_intent.succeeded', data: { paymentId: `pi_${LONE}` } }, 'data.paymentId'],
    [{ type: `payment_intent.succeeded${NUL}`, data: { paymentId: 'pi_1' } }, 'type'],
  ])('a signed event %j is a 400 naming %s', async (event, field) => {
    expectRefused(await post(event), field);
  });
});
