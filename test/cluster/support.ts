/** What the cluster tests share: options on free ports and throwaway databases, HTTP shopping, process checks. */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mintToken } from '../../api/auth';
import type { ClusterOptions } from '../../scripts/cluster/cluster';
import { freePort } from '../../scripts/temporal-dev-server';
import { waitFor } from '../support/wait';

/** Options for a cluster of its own: free ports, fresh databases on the machine's PostgreSQL, a temp data dir. */
export async function testClusterOptions(overrides: Partial<ClusterOptions> = {}): Promise<ClusterOptions> {
  const id = `cluster_test_${randomBytes(4).toString('hex')}`;
  return {
    port: await freePort(),
    temporalPort: await freePort(),
    uiPort: await freePort(),
    mailpitPort: await freePort(),
    smtpPort: await freePort(),
    prometheusPort: await freePort(),
    apiReplicas: 2,
    workerReplicas: 2,
    database: id,
    temporalDatabasePrefix: `${id}_temporal`,
    namespace: 'default',
    taskQueue: 'checkout',
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-cluster-')),
    jwtSecret: randomBytes(32).toString('hex'),
    webhookSecret: randomBytes(16).toString('hex'),
    log: () => {},
    ...overrides,
  };
}

export interface Client {
  call(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any }>;
}

export async function customer(base: string, secret: string): Promise<Client & { id: string }> {
  const id = randomUUID();
  const token = await mintToken(secret, { sub: id, role: 'customer' });
  return {
    id,
    async call(method, url, body, headers = {}) {
      const res = await fetch(`${base}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

/** A cart with one unit of an in-stock product, through the API. */
export async function cartWithOneItem(c: Client): Promise<string> {
  const products = await c.call('GET', '/products?limit=1&inStock=true');
  expect(products.status).toBe(200);
  const cart = await c.call('POST', '/carts');
  expect(cart.status).toBe(201);
  const item = await c.call('POST', `/carts/${cart.body.id}/items`, {
    productId: products.body.items[0].id,
    quantity: 1,
  });
  expect(item.status).toBeLessThan(300);
  return cart.body.id as string;
}

export function checkoutBody(cartId: string) {
  return {
    cartId,
    email: 'ada@example.com',
    shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
    payment: { method: 'card', token: 'tok_visa' },
  };
}

/** Polls the order until it reaches `status` (bounded); the wait fails with the last status seen. */
export async function orderReaches(c: Client, orderId: string, status: string, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    `order ${orderId} to reach ${status}`,
    async () => {
      const res = await c.call('GET', `/orders/${orderId}`);
      return (res.body?.status as string | undefined) ?? res.status;
    },
    (last) => last === status,
    timeoutMs,
  );
}

/** Pids of every live process whose environment carries `marker` (children inherit it from the runner). */
export function processesWithMarker(marker: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) found.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}
