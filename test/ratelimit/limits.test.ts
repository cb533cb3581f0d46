/**
 * Rate limits on one API app over a real database: going over a limit gives 429 problem+json with Retry-After and the
 * RateLimit fields, the limit recovers when its window ends, callers are told apart by token or by client IP (through
 * a trusted proxy only), and what is not limited stays so.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createApp, type App } from '../../api/app';
import { mintToken } from '../../api/auth';
import type { RateLimitPolicy } from '../../api/ratelimit/middleware';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createTestDb, type TestDb } from '../support/db';
import { waitFor } from '../support/wait';

const log = createLogger('silent', 'test');
let db: TestDb;
let connection: Connection;

beforeAll(async () => {
  db = await createTestDb();
  // The routes limited here never reach Temporal: a lazy connection is never dialled.
  connection = Connection.lazy({ address: '127.0.0.1:7233' });
});
afterAll(async () => {
  await connection?.close();
  await db?.close();
});

function appWith(env: Record<string, string>, onRateLimited?: (p: RateLimitPolicy) => void): App {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_ENABLED: 'true',
    // A loaded machine must not make the store look down (replicas.test.ts covers a slow store).
    RATE_LIMIT_STORE_TIMEOUT: '10s',
    ...env,
  });
  const temporal = new Client({ connection });
  return createApp({ db: db.db, temporal, config, log, clock: () => new Date(), onRateLimited });
}

/** A request as the Node server hands it over: with the socket's peer address. */
async function call(
  app: App,
  method: string,
  path: string,
  opts: { peer?: string; headers?: Record<string, string> } = {},
) {
  const env = { incoming: { socket: { remoteAddress: opts.peer ?? '203.0.113.7' } } };
  const headers = { ...opts.headers };
  const init: RequestInit = { method, headers };
  if (method === 'POST') {
    headers['content-type'] = 'application/json';
    init.body = '{}';
  }
  return await app.request(path, init, env);
}

test('the checkout limit refuses with 429 problem+json, Retry-After and RateLimit fields, then recovers', async () => {
  const refused: RateLimitPolicy[] = [];
  const app = appWith({ RATE_LIMIT_CHECKOUT: '3/2s' }, (p) => refused.push(p));
  const token = await mintToken(loadConfig({ NODE_ENV: 'test' }).auth.jwtSecret, {
    sub: randomUUID(),
    role: 'customer',
  });
  const checkout = () => call(app, 'POST', '/checkout', { headers: { authorization: `Bearer ${token}` } });

  // Within the limit the request goes on to validation (no Idempotency-Key: 400) and says what is left.
  for (const remaining of [2, 1, 0]) {
    const res = await checkout();
    expect(res.status).toBe(400);
    expect(res.headers.get('ratelimit-policy')).toBe('"checkout";q=3;w=2');
    expect(res.headers.get('ratelimit')).toMatch(new RegExp(`^"checkout";r=${remaining};t=[12]$`));
  }

  const res = await checkout();
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(2);
  expect(res.headers.get('ratelimit-policy')).toBe('"checkout";q=3;w=2');
  expect(res.headers.get('ratelimit')).toBe(`"checkout";r=0;t=${retryAfter}`);
  expect(await res.json()).toMatchObject({
    type: 'https://orderly.dev/problems/rate-limited',
    title: 'Too Many Requests',
    status: 429,
    policy: 'checkout',
    instance: '/checkout',
  });
  expect(refused).toEqual(['checkout']);

  // The window ends and the same caller gets through again.
  const recovered = await waitFor('the checkout limit to recover', checkout, (r) => r.status !== 429, 5_000);
  expect(recovered.status).toBe(400);
});

test('callers are told apart: by token, and anonymous callers by their IP', async () => {
  const app = appWith({ RATE_LIMIT_WRITE: '2/1m', RATE_LIMIT_READ: '2/1m' });
  const secret = loadConfig({ NODE_ENV: 'test' }).auth.jwtSecret;
  const [alice, bob] = await Promise.all(
    ['a', 'b'].map(() => mintToken(secret, { sub: randomUUID(), role: 'customer' })),
  );
  const cart = (token: string, peer: string) =>
    call(app, 'POST', '/carts', { peer, headers: { authorization: `Bearer ${token}` } });

  // One token from two addresses is one caller; another token from the same address is another.
  expect((await cart(alice!, '198.51.100.1')).status).toBe(201);
  expect((await cart(alice!, '198.51.100.2')).status).toBe(201);
  expect((await cart(alice!, '198.51.100.3')).status).toBe(429);
  expect((await cart(bob!, '198.51.100.1')).status).toBe(201);

  // Anonymous reads count per address.
  const products = (peer: string) => call(app, 'GET', '/products', { peer });
  expect((await products('198.51.100.10')).status).toBe(200);
  expect((await products('198.51.100.10')).status).toBe(200);
  expect((await products('198.51.100.10')).status).toBe(429);
  expect((await products('198.51.100.11')).status).toBe(200);
});

test('X-Forwarded-For counts only from a trusted proxy, read from the right', async () => {
  const app = appWith({ RATE_LIMIT_READ: '1/1m', RATE_LIMIT_TRUSTED_PROXIES: '10.0.0.0/8' });
  const get = (peer: string, xff?: string) =>
    call(app, 'GET', '/products', { peer, headers: xff ? { 'x-forwarded-for': xff } : {} });

  // Through the proxy, each client has its own limit, whatever it claims on the left of the header.
  expect((await get('10.0.0.5', '192.0.2.1')).status).toBe(200);
  expect((await get('10.0.0.6', '192.0.2.1')).status).toBe(429);
  expect((await get('10.0.0.5', '192.0.2.99, 192.0.2.2')).status).toBe(200);
  expect((await get('10.0.0.5', '192.0.2.99, 192.0.2.2')).status).toBe(429);

  // A client talking directly cannot pose as others: its header is ignored and its own address counts.
  expect((await get('192.0.2.50', '192.0.2.60')).status).toBe(200);
  expect((await get('192.0.2.50', '192.0.2.61')).status).toBe(429);
  expect((await get('::ffff:192.0.2.60')).status).toBe(200);
});

test('health checks, the API documents and the signed payment webhook are not limited; off means off', async () => {
  const app = appWith({ RATE_LIMIT_READ: '1/1m', RATE_LIMIT_WRITE: '1/1m' });
  for (let i = 0; i < 3; i += 1) {
    const health = await call(app, 'GET', '/health', { peer: '192.0.2.70' });
    expect(health.status).toBe(200);
    expect(health.headers.get('ratelimit')).toBeNull();
    expect((await call(app, 'GET', '/openapi.json', { peer: '192.0.2.70' })).status).toBe(200);
    // Unsigned, so refused by the webhook itself, never by the limit.
    expect((await call(app, 'POST', '/payments/webhook', { peer: '192.0.2.70' })).status).not.toBe(429);
  }

  const off = appWith({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_READ: '1/1m' });
  for (let i = 0; i < 3; i += 1) {
    const res = await call(off, 'GET', '/products', { peer: '192.0.2.71' });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit')).toBeNull();
  }
});

test('the OpenAPI document gives every limited route its 429 with Retry-After and the RateLimit fields', async () => {
  const app = appWith({});
  const doc = (await (await call(app, 'GET', '/openapi.json')).json()) as {
    paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
  };
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
  );
  const documented = (route: string) => {
    const tooMany = operations.find((o) => o.route === route)?.op.responses['429'];
    return tooMany ? Object.keys(tooMany.headers ?? {}).sort() : undefined;
  };
  const headers = ['RateLimit', 'RateLimit-Policy', 'Retry-After'];
  for (const route of ['POST /checkout', 'GET /products', 'GET /products/{id}', 'POST /carts', 'GET /orders/{id}'])
    expect({ route, headers: documented(route) }).toEqual({ route, headers });
  const unlimited = ['GET /health', 'GET /ready', 'GET /metrics', 'POST /payments/webhook'];
  for (const route of unlimited) expect({ route, headers: documented(route) }).toEqual({ route, headers: undefined });
  const limited = operations.filter((o) => o.op.responses['429']).length;
  expect(limited).toBe(operations.length - unlimited.length);
});
