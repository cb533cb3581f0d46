/**
 * `npm run bench:checkout`: completed checkouts per second against a bare workflow running the same number of no-op
 * activities (the ceiling), then a burst of N checkouts posted within one second. One dev server, same worker settings.
 * Both sides count an item complete when its workflow has closed, seen through the client's result long-poll: the bare
 * workflow, or the checkout workflow after its confirmation email and its cancellation window (BENCH_WINDOW, 1s).
 * BENCH_TOTAL (default 300) and BENCH_CONCURRENCY (default 50) size the sustained runs; DATABASE_URL picks PostgreSQL;
 * BENCH_DETAIL=1 adds where the time goes (CPU per item, per-activity time and SQL statements, history figures).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { and, inArray } from 'drizzle-orm';
import { createApp } from '../api/app';
import { mintToken } from '../api/auth';
import { createTestDb } from '../test/support/db';
import { cartLines, carts, orders, products } from '../db/schema';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { resolveTemporalCli } from '../scripts/temporal-cli';
import { freePort, startDevServer } from '../scripts/temporal-dev-server';
import { createActivityDeps } from '../workers/deps';
import { createWorker } from '../workers/worker';
import { checkoutWorkflowId } from '../workflows/types';
import { countSql, cpuNow, cpuPer, historySummary, resetStats, statsPer, timingInterceptor } from './checkout-measure';

const TOTAL = Number(process.env.BENCH_TOTAL ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const DETAIL = process.env.BENCH_DETAIL === '1';
const WINDOW = process.env.BENCH_WINDOW ?? '1s';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] ?? 0;

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-bench-'));
  const server = await startDevServer({ cli: resolveTemporalCli(), port: await freePort(), logFile: fs.createWriteStream(path.join(tmp, 'temporal.log')) });
  const taskQueue = `bench-${randomUUID()}`;
  const config = loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', TASK_QUEUE: taskQueue, TEMPORAL_ADDRESS: server.address, CANCELLATION_WINDOW: WINDOW });
  const log = createLogger('silent', 'bench');
  // A throwaway database (a fresh PostgreSQL database when DATABASE_URL is set, else in-memory PGlite), dropped at the end.
  const handle = await createTestDb();
  const db = handle.db;
  if (DETAIL) countSql(handle);
  // The same worker options on both sides; the timing interceptor only when asked for, and then on both.
  const extra = DETAIL ? { interceptors: { activity: [timingInterceptor] } } : {};
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: server.address });
  const built = await createActivityDeps({ config, db, log });
  const worker = await createWorker({ connection: native, namespace: 'default', taskQueue, deps: built.deps, extra });
  const bareWorker = await Worker.create({
    connection: native,
    taskQueue: `${taskQueue}-bare`,
    workflowsPath: require.resolve('./checkout-bare-workflows'),
    activities: { noop: async () => {} },
    shutdownGraceTime: '10s',
    ...extra,
  });
  const running = [worker.run(), bareWorker.run()];
  const app = createApp({ db, temporal: client, config, log, clock: () => new Date() });

  const productId = randomUUID();
  await db.insert(products).values({ id: productId, sku: 'BENCH-1', name: 'Bench', category: 'bench', priceCents: 100, currency: 'EUR', stock: 1_000_000 });
  const prepare = async (n: number) =>
    Promise.all(
      Array.from({ length: n }, async () => {
        const customerId = randomUUID();
        const [cart] = await db.insert(carts).values({ customerId }).returning({ id: carts.id });
        await db.insert(cartLines).values({ cartId: cart!.id, productId, quantity: 1 });
        return { token: await mintToken(config.auth.jwtSecret, { sub: customerId, role: 'customer' }), cartId: cart!.id };
      }),
    );
  const post = async (s: { token: string; cartId: string }) => {
    const started = performance.now();
    const res = await app.request('/checkout', {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({
        cartId: s.cartId,
        email: 'bench@example.com',
        shippingAddress: { name: 'B', line1: '1', city: 'C', postalCode: '1', country: 'DE' },
        payment: { method: 'card', token: 'tok_visa' },
      }),
    });
    const body = (await res.json()) as { orderId?: string };
    return { status: res.status, orderId: body.orderId, ms: performance.now() - started };
  };
  // The burst waits for a final order status: one poller for every waiting order, so measuring does not load the
  // database more than the checkouts do.
  const waiting = new Map<string, () => void>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const ids = [...waiting.keys()];
      const done = ids.length
        ? await db.select({ id: orders.id }).from(orders).where(and(inArray(orders.id, ids), inArray(orders.status, ['confirmed', 'failed', 'cancelled'])))
        : [];
      for (const d of done) {
        waiting.get(d.id)?.();
        waiting.delete(d.id);
      }
      await sleep(50);
    }
  })();
  const waitTerminal = async (ids: string[], timeoutMs: number): Promise<string[]> => {
    const left = new Set(ids);
    await Promise.race([
      Promise.all(ids.map((id) => new Promise<void>((resolve) => waiting.set(id, () => (left.delete(id), resolve()))))),
      sleep(timeoutMs),
    ]);
    for (const id of left) waiting.delete(id);
    return [...left];
  };

  /** A checkout is complete when its workflow has closed: confirmation email sent, cancellation window over. */
  const waitClosed = (orderIds: string[]) => Promise.all(orderIds.map((id) => client.workflow.getHandle(checkoutWorkflowId(id)).result()));

  // Warm-up: bundles loaded, connections open.
  const warm = (await Promise.all((await prepare(10)).map(post))).map((r) => r.orderId!);
  await waitClosed(warm);
  await pool(Array.from({ length: 10 }, (_, i) => i), 10, async () => {
    await client.workflow.execute('bareCheckout', { taskQueue: `${taskQueue}-bare`, workflowId: `bare-warm-${randomUUID()}` });
  });

  // Ceiling: bare workflows with the same number of activities.
  const bareIds: string[] = [];
  let cpu0 = cpuNow(server.child.pid);
  let t0 = performance.now();
  await pool(Array.from({ length: TOTAL }, (_, i) => i), CONCURRENCY, async () => {
    const workflowId = `bare-${randomUUID()}`;
    bareIds.push(workflowId);
    await client.workflow.execute('bareCheckout', { taskQueue: `${taskQueue}-bare`, workflowId });
  });
  const bareRate = TOTAL / ((performance.now() - t0) / 1000);
  const bareCpu = cpuPer(cpu0, cpuNow(server.child.pid), TOTAL);

  // Checkout: post, then wait for each to complete, CONCURRENCY in flight.
  const shoppers = await prepare(TOTAL);
  const orderIds: string[] = [];
  resetStats();
  cpu0 = cpuNow(server.child.pid);
  t0 = performance.now();
  await pool(shoppers, CONCURRENCY, async (s) => {
    const r = await post(s);
    if (r.status !== 202 || !r.orderId) throw new Error(`checkout answered ${r.status}`);
    orderIds.push(r.orderId);
    await waitClosed([r.orderId]);
  });
  const checkoutRate = TOTAL / ((performance.now() - t0) / 1000);
  const checkoutCpu = cpuPer(cpu0, cpuNow(server.child.pid), TOTAL);
  const activities = statsPer(TOTAL);

  // Burst: N within one second.
  const n = Math.min(500, Math.max(10, Math.round(checkoutRate * 10)));
  const burstShoppers = await prepare(n);
  t0 = performance.now();
  const results = await Promise.all(burstShoppers.map(async (s, i) => {
    await sleep((i / n) * 1000);
    return post(s);
  }));
  const postedIn = performance.now() - t0;
  const accepted = results.filter((r) => r.status === 202);
  const lost = await waitTerminal(accepted.map((r) => r.orderId!), 300_000);
  const allTerminalS = (performance.now() - t0) / 1000;

  const figures = {
    database: handle.kind,
    sustained: { total: TOTAL, concurrency: CONCURRENCY, bareWorkflowsPerSec: +bareRate.toFixed(1), checkoutsPerSec: +checkoutRate.toFixed(1), ratio: +(checkoutRate / bareRate).toFixed(2) },
    burst: { posted: n, postedWithinMs: Math.round(postedIn), accepted: accepted.length, p99AcceptMs: Math.round(p99(results.map((r) => r.ms))), allTerminalAfterS: +allTerminalS.toFixed(1), lostOrders: lost.length },
  };
  console.log(JSON.stringify(figures, null, 2));
  if (DETAIL) {
    const sample = orderIds.slice(-10);
    const detail = {
      cpuPerItem: { bare: bareCpu, checkout: checkoutCpu },
      checkoutActivitiesInWorker: activities,
      histories: {
        bare: await historySummary(client, bareIds.slice(-10)),
        checkout: await historySummary(client, sample.map(checkoutWorkflowId)),
      },
    };
    console.log(JSON.stringify(detail, null, 2));
  }

  polling = false;
  await poller;
  worker.shutdown();
  bareWorker.shutdown();
  await Promise.all(running);
  await built.close();
  await native.close();
  await connection.close();
  await handle.close();
  await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(lost.length ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
