/**
 * api/main.ts as its own process shuts down cleanly while a cancel's Update still waits on its workflow: it stops
 * accepting, drains, aborts the waiting Temporal call (the request answers 503), then closes the connection; exit 0.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { mintToken } from '../../api/auth';
import { seedCatalog } from '../../db/seed';
import { products } from '../../db/schema';
import { loadConfig } from '../../lib/config';
import { createTestDb, type TestDb } from '../support/db';
import { waitFor } from '../support/wait';

jest.setTimeout(240_000);

const root = path.resolve(__dirname, '..', '..');
let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});

function call(
  agent: http.Agent,
  base: string,
  method: string,
  p: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${p}`,
      {
        agent,
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        timeout: 120_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: res.headers }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${p}: no answer`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

// The API and a worker as separate processes share PostgreSQL; embedded PGlite lives in one process only.
const onPostgres = process.env.DATABASE_URL ? test : test.skip;
onPostgres('SIGTERM while a cancel Update waits: the request answers 503 and the process exits 0', async () => {
  await seedCatalog(db.db);
  const [product] = await db.db.select({ id: products.id }).from(products).limit(1);
  // No worker polls this queue: the checkout workflow never runs, so its cancel Update waits indefinitely.
  const taskQueue = `shutdown-${randomUUID()}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: db.url!,
      TEMPORAL_ADDRESS: process.env.ORDERLY_TEST_TEMPORAL_ADDRESS!,
      TASK_QUEUE: taskQueue,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
    },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const base = await waitFor(
      'the API to listen',
      async () => /"url":"(http:\/\/[^"]+)"/.exec(output)?.[1],
      (url) => url !== undefined || child.exitCode !== null,
      120_000,
    );
    expect({ exit: child.exitCode, output: base ? '' : output }).toEqual({ exit: null, output: '' });
    const token = await mintToken(loadConfig({}).auth.jwtSecret, { sub: randomUUID(), role: 'customer' });
    const cart = await call(agent, base!, 'POST', '/carts', token);
    expect(cart.status).toBe(201);
    const added = await call(agent, base!, 'POST', `/carts/${cart.body.id}/items`, token, {
      productId: product!.id,
      quantity: 1,
    });
    expect(added.status).toBe(200);
    const accepted = await call(
      agent,
      base!,
      'POST',
      '/checkout',
      token,
      {
        cartId: cart.body.id,
        email: 'shutdown@example.com',
        shippingAddress: { name: 'A', line1: '1 Road', city: 'Town', postalCode: '12345', country: 'GB' },
        payment: { method: 'card', token: 'tok_visa' },
      },
      { 'idempotency-key': randomUUID() },
    );
    expect(accepted.status).toBe(202);

    const cancelled = call(agent, base!, 'POST', `/orders/${accepted.body.orderId}/cancel`, token);
    await waitFor(
      'the cancel to reach its Update',
      async () => output,
      (o) => o.includes('cancel requested'),
    );
    child.kill('SIGTERM');

    const answer = await cancelled.catch((err: Error) => ({ status: err.message, headers: {}, output }));
    expect(answer).toMatchObject({ status: 503 });
    expect((answer.headers as Record<string, unknown>)['content-type']).toBe('application/problem+json');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 60_000))),
    ]);
    clearTimeout(timer);
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    expect(output).not.toMatch(/Channel has been shut down|uncaught/i);
    expect(output).toContain('api stopped');
  } finally {
    agent.destroy();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
