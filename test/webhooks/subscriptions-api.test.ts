/** The webhook subscriptions admin API: who may use it, what it refuses, CRUD, secret rotation and the delivery log. */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { createApp } from '../../api/app';
import type { WebhookSubscriptionChange } from '../../contract';
import { orderEvents, orders, webhookDeliveries, webhookSubscriptions } from '../../db/schema';
import { loadConfig } from '../../lib/config';
import { signingSecrets, signWebhook, verifyWebhook, WEBHOOK_SECRET_PATTERN } from '../../lib/webhook-signing';
import { startHarness, type Harness } from '../support/harness';
import { testLogger } from '../support/logs';

jest.setTimeout(120_000);

let h: Harness;
let admin: string;
let customer: string;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  admin = await h.token('admin');
  customer = await h.token('customer');
}, 120_000);
afterAll(async () => {
  await h?.close();
});

const BASE = '/webhooks/subscriptions';
const create = (body: unknown, token = admin) => h.call('POST', BASE, { token, body });
const subscribe = async (body: Record<string, unknown> = {}) => {
  const res = await create({ url: 'https://hooks.example.com/orderly', events: ['order.created'], ...body });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string; [k: string]: unknown };
};
const dbRow = async (id: string) =>
  (await h.db.db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id)))[0];

describe('who may manage subscriptions', () => {
  const routes = (id: string): [string, string, unknown?][] => [
    ['POST', BASE, { url: 'https://hooks.example.com/x', events: ['*'] }],
    ['GET', BASE],
    ['GET', `${BASE}/${id}`],
    ['PATCH', `${BASE}/${id}`, { enabled: false }],
    ['DELETE', `${BASE}/${id}`],
    ['POST', `${BASE}/${id}/rotate-secret`],
    ['GET', `${BASE}/${id}/deliveries`],
  ];

  test('anonymous callers get 401 and customers 403 on every route, and nothing changes', async () => {
    const sub = await subscribe();
    const before = await dbRow(sub.id);
    for (const [method, path, body] of routes(sub.id)) {
      const anonymous = await h.call(method, path, { body });
      const asCustomer = await h.call(method, path, { token: customer, body });
      expect([method, path, anonymous.status, asCustomer.status]).toEqual([method, path, 401, 403]);
      expect(asCustomer.headers.get('content-type')).toBe('application/problem+json');
    }
    expect(await dbRow(sub.id)).toEqual(before);
  });

  test('a customer is refused before the body is read: a bad body is still 403, not 400', async () => {
    const res = await create({ url: 'ftp://nope', events: ['nope'] }, customer);
    expect(res.status).toBe(403);
  });
});

describe('create', () => {
  test('answers 201 with the secret once; reads never show it again', async () => {
    const res = await create({ url: 'https://hooks.example.com/a', events: ['order.created', 'payment.failed'] });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`${BASE}/${res.body.id}`);
    expect(res.body).toMatchObject({
      url: 'https://hooks.example.com/a',
      events: ['order.created', 'payment.failed'],
      description: null,
      enabled: true,
      disabledReason: null,
      consecutiveFailures: 0,
      previousSecretExpiresAt: null,
    });
    expect(res.body.secret).toMatch(WEBHOOK_SECRET_PATTERN);
    const one = await h.call('GET', `${BASE}/${res.body.id}`, { token: admin });
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('secret');
    expect(JSON.stringify(one.body)).not.toContain(res.body.secret.slice(6));
    const list = await h.call('GET', `${BASE}?limit=100`, { token: admin });
    expect(JSON.stringify(list.body)).not.toContain(res.body.secret.slice(6));
    expect((await dbRow(res.body.id))!.secret).toBe(res.body.secret);
  });

  test('"*" stands for every event, and repeated types are kept once', async () => {
    expect((await subscribe({ events: ['order.created', '*'] })).events).toEqual(['*']);
    expect((await subscribe({ events: ['order.created', 'order.created', 'notification.sent'] })).events).toEqual([
      'order.created',
      'notification.sent',
    ]);
  });

  test('the URL is stored as the URL parser normalises it', async () => {
    expect((await subscribe({ url: 'HTTPS://Hooks.Example.COM:443/a/../b' })).url).toBe('https://hooks.example.com/b');
  });

  test.each([
    ['a non-http scheme', { url: 'ftp://hooks.example.com/', events: ['*'] }, 'url'],
    ['a relative URL', { url: '/hooks', events: ['*'] }, 'url'],
    ['credentials in the URL', { url: 'https://u:p@hooks.example.com/', events: ['*'] }, 'url'],
    ['a control character in the URL', { url: 'https://hooks.example.com/\u0007', events: ['*'] }, 'url'],
    ['a newline in the URL', { url: 'https://hooks.exa\nmple.com/', events: ['*'] }, 'url'],
    ['an unknown event type', { url: 'https://hooks.example.com/', events: ['order.shipped'] }, 'events.0'],
    ['no event type', { url: 'https://hooks.example.com/', events: [] }, 'events'],
    ['events not a list', { url: 'https://hooks.example.com/', events: 'order.created' }, 'events'],
    [
      'a control character in the description',
      { url: 'https://h.example.com/', events: ['*'], description: 'a\u0000' },
      'description',
    ],
    [
      'a description too long',
      { url: 'https://h.example.com/', events: ['*'], description: 'x'.repeat(501) },
      'description',
    ],
    ['an unknown field', { url: 'https://hooks.example.com/', events: ['*'], secret: 'whsec_mine' }, '(root)'],
    ['no URL', { events: ['*'] }, 'url'],
  ])('refuses %s with a 400 naming the field', async (_what, body, path) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });
});

describe('the URL policy', () => {
  const strictApp = (env: Record<string, string>) => {
    const config = loadConfig({ ...env, NODE_ENV: 'test', AUTH_JWT_SECRET: h.config.auth.jwtSecret });
    return createApp({ db: h.db.db, temporal: h.client, config, log: testLogger(), clock: () => new Date() });
  };
  const post = async (app: ReturnType<typeof createApp>, url: string) => {
    const res = await app.request(BASE, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url, events: ['*'] }),
    });
    return { status: res.status, body: (await res.json()) as { detail: string; errors?: { path: string }[] } };
  };

  test('private and loopback addresses are refused when configuration does not allow them', async () => {
    const app = strictApp({ WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'false' });
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://10.0.0.8/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/hook',
      'http://[fd00::1]/hook',
      'http://[::ffff:192.168.1.1]/hook',
      'http://localhost:3000/hook',
    ]) {
      const res = await post(app, url);
      expect([url, res.status, res.body.errors?.[0]?.path]).toEqual([url, 400, 'url']);
    }
    expect((await post(app, 'https://hooks.example.com/hook')).status).toBe(201);
  });

  test('the test configuration allows loopback receivers', async () => {
    expect(h.config.webhooks.allowPrivateAddresses).toBe(true);
    expect((await subscribe({ url: 'http://127.0.0.1:9/hook' })).url).toBe('http://127.0.0.1:9/hook');
  });

  test('WEBHOOK_ALLOWED_HOSTS limits subscriptions to the hosts it names', async () => {
    const app = strictApp({ WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com,*.partner.example' });
    expect((await post(app, 'https://hooks.example.com/a')).status).toBe(201);
    expect((await post(app, 'https://erp.partner.example/a')).status).toBe(201);
    const refused = await post(app, 'https://evil.example.net/a');
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toMatch(/WEBHOOK_ALLOWED_HOSTS/);
  });
});

describe('update and delete', () => {
  test('PATCH changes the URL, events and description; null clears the description', async () => {
    const sub = await subscribe({ description: 'ERP' });
    const res = await h.call('PATCH', `${BASE}/${sub.id}`, {
      token: admin,
      body: { url: 'https://erp.example.com/in', events: ['order.confirmed'], description: null },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      url: 'https://erp.example.com/in',
      events: ['order.confirmed'],
      description: null,
    });
    expect(res.body).not.toHaveProperty('secret');
    expect(new Date(res.body.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(String(sub.updatedAt)).getTime());
  });

  test('disabling records that an admin did it; re-enabling clears the failure run and the reason', async () => {
    const sub = await subscribe();
    const off = await h.call('PATCH', `${BASE}/${sub.id}`, { token: admin, body: { enabled: false } });
    expect(off.body).toMatchObject({ enabled: false, disabledReason: 'disabled by an admin' });
    // As delivery leaves it after a run of failures.
    await h.db.db
      .update(webhookSubscriptions)
      .set({ consecutiveFailures: 17, disabledReason: '17 deliveries in a row failed' })
      .where(eq(webhookSubscriptions.id, sub.id));
    const on = await h.call('PATCH', `${BASE}/${sub.id}`, { token: admin, body: { enabled: true } });
    expect(on.body).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
  });

  test('PATCH refuses an empty change, a bad URL and an unknown event; nothing is changed', async () => {
    const sub = await subscribe();
    const before = await dbRow(sub.id);
    for (const body of [{}, { url: 'gopher://x.example/' }, { events: ['order.nope'] }, { enabled: 'yes' }]) {
      const res = await h.call('PATCH', `${BASE}/${sub.id}`, { token: admin, body });
      expect([body, res.status]).toEqual([body, 400]);
    }
    expect(await dbRow(sub.id)).toEqual(before);
  });

  test('an unknown id is 404 on every route, a malformed one 400', async () => {
    const id = randomUUID();
    for (const [method, path, body] of [
      ['GET', `${BASE}/${id}`],
      ['PATCH', `${BASE}/${id}`, { enabled: true }],
      ['DELETE', `${BASE}/${id}`],
      ['POST', `${BASE}/${id}/rotate-secret`],
      ['GET', `${BASE}/${id}/deliveries`],
    ] as const) {
      expect([method, path, (await h.call(method, path, { token: admin, body })).status]).toEqual([method, path, 404]);
    }
    expect((await h.call('GET', `${BASE}/not-a-uuid`, { token: admin })).status).toBe(400);
  });

  test('DELETE answers 204, after which the subscription is gone', async () => {
    const sub = await subscribe();
    const res = await h.call('DELETE', `${BASE}/${sub.id}`, { token: admin });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect((await h.call('GET', `${BASE}/${sub.id}`, { token: admin })).status).toBe(404);
    expect((await h.call('DELETE', `${BASE}/${sub.id}`, { token: admin })).status).toBe(404);
  });
});

describe('listing', () => {
  test('pages newest first without gaps or repeats', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await subscribe({ description: `page ${i}` })).id);
    const seen: string[] = [];
    let cursor: string | null = '';
    for (let pages = 0; cursor !== null && pages < 100; pages++) {
      const res: { status: number; body: any } = await h.call(
        'GET',
        `${BASE}?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: admin },
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((s: { id: string }) => s.id));
      cursor = res.body.nextCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => made.includes(id))).toEqual([...made].reverse());
  });

  test('a forged cursor is a 400', async () => {
    const res = await h.call('GET', `${BASE}?cursor=${Buffer.from('nope').toString('base64url')}`, { token: admin });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'cursor', message: 'invalid cursor' }]);
  });
});

describe('secret rotation', () => {
  test('gives a new secret while the old one keeps signing for the configured grace', async () => {
    const sub = await subscribe();
    const before = Date.now();
    const res = await h.call('POST', `${BASE}/${sub.id}/rotate-secret`, { token: admin });
    expect(res.status).toBe(200);
    expect(res.body.secret).toMatch(WEBHOOK_SECRET_PATTERN);
    expect(res.body.secret).not.toBe(sub.secret);
    const until = new Date(res.body.previousSecretExpiresAt).getTime();
    expect(until).toBeGreaterThanOrEqual(before + 24 * 3600_000 - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + 24 * 3600_000 + 1000);

    // What delivery does with the row: sign with both, so receivers on either secret verify.
    const row = (await dbRow(sub.id))!;
    expect(row.previousSecret).toBe(sub.secret);
    const headers = signWebhook({
      id: 'msg_1',
      timestamp: new Date(),
      body: '{}',
      secrets: signingSecrets(row, new Date()),
    });
    expect(() => verifyWebhook(sub.secret, '{}', { ...headers })).not.toThrow();
    expect(() => verifyWebhook(res.body.secret, '{}', { ...headers })).not.toThrow();
  });

  test('a second rotation keeps only the secret just replaced as the previous one', async () => {
    const sub = await subscribe();
    const first = (await h.call('POST', `${BASE}/${sub.id}/rotate-secret`, { token: admin })).body;
    const second = (await h.call('POST', `${BASE}/${sub.id}/rotate-secret`, { token: admin })).body;
    const row = (await dbRow(sub.id))!;
    expect(row.secret).toBe(second.secret);
    expect(row.previousSecret).toBe(first.secret);
    expect(signingSecrets(row, new Date())).not.toContain(sub.secret);
  });

  test('WEBHOOK_SECRET_ROTATION_GRACE sets how long the previous secret signs', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      AUTH_JWT_SECRET: h.config.auth.jwtSecret,
      WEBHOOK_SECRET_ROTATION_GRACE: '15m',
    });
    const now = new Date('2026-03-01T10:00:00.000Z');
    const app = createApp({ db: h.db.db, temporal: h.client, config, log: testLogger(), clock: () => now });
    const sub = await subscribe();
    const res = await app.request(`${BASE}/${sub.id}/rotate-secret`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { previousSecretExpiresAt: string }).previousSecretExpiresAt).toBe(
      '2026-03-01T10:15:00.000Z',
    );
  });
});

describe('the delivery log', () => {
  /** An order with `n` events, and a delivery row per event in the given states (as delivery writes them). */
  async function seedDeliveries(subscriptionId: string, statuses: ('pending' | 'delivered' | 'failed')[]) {
    const orderId = randomUUID();
    await h.db.db.insert(orders).values({
      id: orderId,
      customerId: randomUUID(),
      email: 'log@example.com',
      currency: 'EUR',
      totalCents: 100,
      shippingAddress: {},
      idempotencyKey: randomUUID(),
      requestHash: 'h',
      workflowId: `checkout-${orderId}`,
    });
    const events = await h.db.db
      .insert(orderEvents)
      .values(
        statuses.map((_, i) => ({ orderId, type: i === 0 ? 'order.created' : 'payment.authorized', data: { i } })),
      )
      .returning({ id: orderEvents.id });
    await h.db.db.insert(webhookDeliveries).values(
      statuses.map((status, i) => ({
        subscriptionId,
        eventId: events[i]!.id,
        status,
        attempts: status === 'pending' ? 0 : 3,
        lastStatusCode: status === 'failed' ? 503 : status === 'delivered' ? 204 : null,
        lastError: status === 'failed' ? 'HTTP 503 Service Unavailable' : null,
        lastAttemptAt: status === 'pending' ? null : new Date(),
        deliveredAt: status === 'delivered' ? new Date() : null,
      })),
    );
    return { orderId, eventIds: events.map((e) => e.id) };
  }

  test('shows each delivery with its webhook-id, attempts, status and last error, newest first, paged', async () => {
    const sub = await subscribe();
    const other = await subscribe();
    const { orderId, eventIds } = await seedDeliveries(sub.id, ['delivered', 'failed', 'pending']);
    await seedDeliveries(other.id, ['delivered']);
    const first = await h.call('GET', `${BASE}/${sub.id}/deliveries?limit=2`, { token: admin });
    expect(first.status).toBe(200);
    expect(first.body.items).toEqual([
      expect.objectContaining({
        eventId: eventIds[2],
        webhookId: `msg_${eventIds[2]}`,
        status: 'pending',
        attempts: 0,
      }),
      expect.objectContaining({
        eventId: eventIds[1],
        eventType: 'payment.authorized',
        orderId,
        status: 'failed',
        attempts: 3,
        lastStatusCode: 503,
        lastError: 'HTTP 503 Service Unavailable',
      }),
    ]);
    const second = await h.call('GET', `${BASE}/${sub.id}/deliveries?limit=2&cursor=${first.body.nextCursor}`, {
      token: admin,
    });
    expect(second.body.items).toEqual([
      expect.objectContaining({
        eventId: eventIds[0],
        eventType: 'order.created',
        status: 'delivered',
        lastStatusCode: 204,
      }),
    ]);
    expect(second.body.nextCursor).toBeNull();
    const failed = await h.call('GET', `${BASE}/${sub.id}/deliveries?status=failed`, { token: admin });
    expect(failed.body.items.map((d: { eventId: number }) => d.eventId)).toEqual([eventIds[1]]);
  });

  test('deleting a subscription deletes its delivery log', async () => {
    const sub = await subscribe();
    await seedDeliveries(sub.id, ['delivered', 'failed']);
    expect((await h.call('DELETE', `${BASE}/${sub.id}`, { token: admin })).status).toBe(204);
    const left = await h.db.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, sub.id));
    expect(left).toEqual([]);
  });

  test('a bad status filter or cursor is a 400', async () => {
    const sub = await subscribe();
    expect((await h.call('GET', `${BASE}/${sub.id}/deliveries?status=lost`, { token: admin })).status).toBe(400);
    expect((await h.call('GET', `${BASE}/${sub.id}/deliveries?cursor=abc`, { token: admin })).status).toBe(400);
  });
});

test('every change is passed to the delivery hook, and a failing hook does not fail the change', async () => {
  const calls: [string, WebhookSubscriptionChange][] = [];
  const log = testLogger();
  const app = createApp({
    db: h.db.db,
    temporal: h.client,
    config: h.config,
    log,
    clock: () => new Date(),
    onWebhookSubscriptionChanged: (id, change) => {
      calls.push([id, change]);
      if (change === 'updated') throw new Error('delivery is down');
    },
  });
  const send = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as { id: string }) };
  };
  const created = await send('POST', BASE, { url: 'https://hooks.example.com/h', events: ['*'] });
  const id = created.body!.id;
  expect((await send('PATCH', `${BASE}/${id}`, { enabled: false })).status).toBe(200);
  expect((await dbRow(id))!.enabled).toBe(false);
  expect((await send('POST', `${BASE}/${id}/rotate-secret`)).status).toBe(200);
  expect((await send('DELETE', `${BASE}/${id}`)).status).toBe(204);
  expect((await send('GET', `${BASE}/${randomUUID()}`)).status).toBe(404);
  expect(calls).toEqual([
    [id, 'created'],
    [id, 'updated'],
    [id, 'secret_rotated'],
    [id, 'deleted'],
  ]);
});
