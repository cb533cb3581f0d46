/**
 * The authorization matrix: every route × {anonymous, customer A, customer B, admin}, each answer the documented
 * status. B never reads or changes A's data, and A's resource answers B exactly as a missing one does. Admins
 * may read and change every customer's carts and orders, but check out only their own carts.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { notifications } from '../../db/schema';
import { orderEvents, webhookDeliveries, webhookSubscriptions } from '../../db/schema';
import { newWebhookSecret } from '../../lib/webhook-signing';
import { checkoutBody, placeOrder, seedCart, seedProduct, shopper, type Shopper } from '../checkout/helpers';
import { startHarness, type CallResult, type Harness } from '../support/harness';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

type Actor = 'anonymous' | 'A' | 'B' | 'admin';
const ACTORS: Actor[] = ['anonymous', 'B', 'A', 'admin'];

let h: Harness;
let A: Shopper;
let B: Shopper;
let adminToken: string;
let doc: { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
let productId: string;
let orderId: string;
let notificationId: string;

beforeAll(async () => {
  h = await startHarness();
  A = await shopper(h);
  B = await shopper(h);
  adminToken = await h.token('admin');
  doc = (await h.call('GET', '/openapi.json')).body;
  productId = await seedProduct(h, new Map());
  orderId = await placeOrder(h, A, productId);
  await waitFor(
    "A's order confirmed",
    async () => (await h.call('GET', `/orders/${orderId}`, { token: A.token })).body?.status,
    (s) => s === 'confirmed',
    60_000,
  );
  const row = await waitFor(
    "A's order notification",
    async () => (await h.db.db.select().from(notifications).where(eq(notifications.orderId, orderId)))[0],
    (r) => r !== undefined,
    60_000,
  );
  notificationId = row!.id;
}, 240_000);
afterAll(async () => {
  await h?.close();
});

const tokenOf = (who: Actor) => ({ anonymous: undefined, A: A.token, B: B.token, admin: adminToken })[who];

interface Row {
  method: string;
  /** The OpenAPI path template, and the concrete path to call (built per actor, e.g. a fresh resource). */
  template: string;
  path: (who: Actor) => Promise<string> | string;
  body?: (who: Actor) => unknown;
  headers?: () => Record<string, string>;
  expect: Record<Actor, number>;
  /** A's resource: B's answer must equal B's answer for a missing one (this path with a fresh id in its place). */
  strangerLikeMissing?: (path: string) => string;
}

const newCartOfA = async () => seedCart(h, A.id, [{ productId, quantity: 1 }]);
const adminProduct = async () => seedProduct(h, new Map());
const productInput = () => ({
  sku: `SKU-${randomUUID().slice(0, 12)}`,
  name: 'Matrix product',
  description: 'made by the authorization matrix',
  category: 'test',
  priceCents: 500,
  currency: 'EUR',
  stock: 5,
  active: true,
});
const subscriptionInput = () => ({ url: 'https://hooks.example.com/matrix', events: ['*'] });
const adminSubscription = async () =>
  (await h.call('POST', '/webhooks/subscriptions', { token: adminToken, body: subscriptionInput() })).body.id as string;
/** A logged webhook delivery of A's order (to the discard port: a redelivery's one attempt fails, the answer is 202). */
let loggedDelivery: { subscriptionId: string; deliveryId: number } | undefined;
async function webhookDelivery() {
  if (loggedDelivery) return loggedDelivery;
  const [sub] = await h.db.db
    .insert(webhookSubscriptions)
    .values({ url: 'http://127.0.0.1:9/', events: ['*'], secret: newWebhookSecret(), enabled: false })
    .returning({ id: webhookSubscriptions.id });
  const [event] = await h.db.db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).limit(1);
  const [row] = await h.db.db
    .insert(webhookDeliveries)
    .values({ subscriptionId: sub!.id, eventId: event!.id, status: 'failed' })
    .returning({ id: webhookDeliveries.id });
  return (loggedDelivery = { subscriptionId: sub!.id, deliveryId: row!.id });
}

const swapFirstId = (p: string) =>
  p.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, randomUUID());
const all = (n: number): Record<Actor, number> => ({ anonymous: n, A: n, B: n, admin: n });

const ROWS: Row[] = [
  { method: 'GET', template: '/health', path: () => '/health', expect: all(200) },
  { method: 'GET', template: '/products', path: () => '/products', expect: all(200) },
  { method: 'GET', template: '/products/facets', path: () => '/products/facets', expect: all(200) },
  { method: 'GET', template: '/products/{id}', path: () => `/products/${productId}`, expect: all(200) },
  {
    method: 'POST',
    template: '/products',
    path: () => '/products',
    body: productInput,
    expect: { anonymous: 401, A: 403, B: 403, admin: 201 },
  },
  {
    method: 'PUT',
    template: '/products/{id}',
    path: async () => `/products/${await adminProduct()}`,
    body: productInput,
    expect: { anonymous: 401, A: 403, B: 403, admin: 200 },
  },
  {
    method: 'PATCH',
    template: '/products/{id}',
    path: async () => `/products/${await adminProduct()}`,
    body: () => ({ name: 'Renamed' }),
    expect: { anonymous: 401, A: 403, B: 403, admin: 200 },
  },
  {
    method: 'DELETE',
    template: '/products/{id}',
    path: async () => `/products/${await adminProduct()}`,
    expect: { anonymous: 401, A: 403, B: 403, admin: 204 },
  },
  { method: 'POST', template: '/carts', path: () => '/carts', expect: { anonymous: 401, A: 201, B: 201, admin: 201 } },
  {
    method: 'GET',
    template: '/carts/{id}',
    path: async () => `/carts/${await newCartOfA()}`,
    expect: { anonymous: 401, A: 200, B: 404, admin: 200 },
    strangerLikeMissing: swapFirstId,
  },
  {
    method: 'POST',
    template: '/carts/{id}/items',
    path: async () => `/carts/${await newCartOfA()}/items`,
    body: () => ({ productId, quantity: 1 }),
    expect: { anonymous: 401, A: 200, B: 404, admin: 200 },
    strangerLikeMissing: swapFirstId,
  },
  {
    method: 'PATCH',
    template: '/carts/{id}/items/{productId}',
    path: async () => `/carts/${await newCartOfA()}/items/${productId}`,
    body: () => ({ quantity: 2 }),
    expect: { anonymous: 401, A: 200, B: 404, admin: 200 },
    strangerLikeMissing: swapFirstId,
  },
  {
    method: 'DELETE',
    template: '/carts/{id}/items/{productId}',
    path: async () => `/carts/${await newCartOfA()}/items/${productId}`,
    expect: { anonymous: 401, A: 200, B: 404, admin: 200 },
    strangerLikeMissing: swapFirstId,
  },
  {
    method: 'DELETE',
    template: '/carts/{id}',
    path: async () => `/carts/${await newCartOfA()}`,
    expect: { anonymous: 401, A: 204, B: 404, admin: 204 },
    strangerLikeMissing: swapFirstId,
  },
  {
    // Checkout of A's cart: only A may; for anyone else it is a missing cart.
    method: 'POST',
    template: '/checkout',
    path: () => '/checkout',
    body: () => checkoutBody(cartForCheckout),
    headers: () => ({ 'idempotency-key': randomUUID() }),
    expect: { anonymous: 401, A: 202, B: 404, admin: 404 },
  },
  {
    method: 'GET',
    template: '/orders',
    path: () => '/orders',
    expect: { anonymous: 401, A: 200, B: 200, admin: 200 },
  },
  {
    method: 'GET',
    template: '/orders/{id}',
    path: () => `/orders/${orderId}`,
    expect: { anonymous: 401, A: 200, B: 404, admin: 200 },
    strangerLikeMissing: swapFirstId,
  },
  {
    method: 'GET',
    template: '/orders/{id}/events',
    path: () => `/orders/${orderId}/events`,
    expect: { anonymous: 401, A: 200, B: 404, admin: 200 },
    strangerLikeMissing: swapFirstId,
  },
  {
    // A cancels (refund within the window); the admin then finds it already cancelled.
    method: 'POST',
    template: '/orders/{id}/cancel',
    path: () => `/orders/${orderId}/cancel`,
    body: () => ({ reason: 'changed my mind' }),
    expect: { anonymous: 401, A: 200, B: 404, admin: 409 },
    strangerLikeMissing: swapFirstId,
  },
  {
    method: 'POST',
    template: '/payments/webhook',
    path: () => '/payments/webhook',
    body: () => ({ type: 'payment_intent.succeeded', data: { orderId } }),
    expect: all(401),
  },
  {
    method: 'GET',
    template: '/notifications',
    path: () => '/notifications',
    expect: { anonymous: 401, A: 403, B: 403, admin: 200 },
  },
  {
    method: 'POST',
    template: '/notifications/{id}/resend',
    path: () => `/notifications/${notificationId}/resend`,
    expect: { anonymous: 401, A: 403, B: 403, admin: 202 },
  },
  {
    method: 'GET',
    template: '/customers/me/preferences',
    path: () => '/customers/me/preferences',
    expect: { anonymous: 401, A: 200, B: 200, admin: 200 },
  },
  {
    method: 'PUT',
    template: '/customers/me/preferences',
    path: () => '/customers/me/preferences',
    body: () => ({ channels: ['email'] }),
    expect: { anonymous: 401, A: 200, B: 200, admin: 200 },
  },
  // Outgoing webhook subscriptions: admins only (webhooks.md).
  {
    method: 'POST',
    template: '/webhooks/subscriptions',
    path: () => '/webhooks/subscriptions',
    body: subscriptionInput,
    expect: { anonymous: 401, A: 403, B: 403, admin: 201 },
  },
  {
    method: 'GET',
    template: '/webhooks/subscriptions',
    path: () => '/webhooks/subscriptions',
    expect: { anonymous: 401, A: 403, B: 403, admin: 200 },
  },
  ...(
    [
      ['GET', '', 200],
      ['PATCH', '', 200],
      ['DELETE', '', 204],
      ['POST', '/rotate-secret', 200],
      ['GET', '/deliveries', 200],
    ] as const
  ).map(([method, tail, ok]): Row => ({
    method,
    template: `/webhooks/subscriptions/{id}${tail}`,
    path: async () => `/webhooks/subscriptions/${await adminSubscription()}${tail}`,
    body: method === 'PATCH' ? () => ({ description: 'changed by the matrix' }) : undefined,
    expect: { anonymous: 401, A: 403, B: 403, admin: ok },
  })),
  // Served on each replica's own port without a token; the load balancer refuses it from outside (observability.md).
  { method: 'GET', template: '/metrics', path: () => '/metrics', expect: all(200) },
  // The codec server decrypts workflow payloads: admins only (security.md).
  ...(['encode', 'decode'] as const).map((op): Row => ({
    method: 'POST',
    template: `/codec/${op}`,
    path: () => `/codec/${op}`,
    body: () => ({ payloads: [] }),
    expect: { anonymous: 401, A: 403, B: 403, admin: 200 },
  })),
  // Outgoing webhooks' redelivery: admins only (webhooks.md).
  {
    method: 'POST',
    template: '/webhooks/subscriptions/{id}/deliveries/{deliveryId}/redeliver',
    path: async () => {
      const d = await webhookDelivery();
      return `/webhooks/subscriptions/${d.subscriptionId}/deliveries/${d.deliveryId}/redeliver`;
    },
    expect: { anonymous: 401, A: 403, B: 403, admin: 202 },
  },
];
let cartForCheckout = '';

const shape = (res: CallResult) => ({
  status: res.status,
  contentType: res.headers.get('content-type'),
  body:
    res.body && typeof res.body === 'object'
      ? JSON.parse(JSON.stringify({ ...res.body, instance: undefined }).replace(/[0-9a-f-]{36}/g, '<id>'))
      : res.body,
});

test('every route in the document is in the matrix', () => {
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
  );
  const covered = new Set(ROWS.map((r) => `${r.method} ${r.template}`));
  expect(documented.filter((r) => !covered.has(r) && r !== 'GET /ready')).toEqual([]);
});

test.each(ROWS.map((r) => [`${r.method} ${r.template}`, r] as const))('%s', async (_name, row) => {
  const seen: Record<string, number> = {};
  for (const who of ACTORS) {
    if (row.template === '/checkout') cartForCheckout = await newCartOfA();
    const path = await row.path(who);
    const res = await h.call(row.method, path, {
      token: tokenOf(who),
      body: row.body?.(who),
      headers: row.headers?.(),
    });
    seen[who] = res.status;
    const documented = Object.keys(doc.paths[row.template]?.[row.method.toLowerCase()]?.responses ?? {});
    expect({ who, status: res.status, documented: documented.includes(String(res.status)) }).toEqual({
      who,
      status: res.status,
      documented: true,
    });
    if (res.status >= 400) expect(res.headers.get('content-type')).toBe('application/problem+json');
    if (who === 'B' && row.strangerLikeMissing) {
      const missing = await h.call(row.method, row.strangerLikeMissing(path), {
        token: B.token,
        body: row.body?.(who),
        headers: row.headers?.(),
      });
      expect(shape(res)).toEqual(shape(missing));
    }
  }
  expect(seen).toEqual(row.expect);
});

test("B's list of orders never shows A's order", async () => {
  const res = await h.call('GET', '/orders', { token: B.token });
  expect(res.status).toBe(200);
  expect(res.body.items.map((o: { id: string }) => o.id)).not.toContain(orderId);
});
