/**
 * `npm run bench:checkout`: completed checkouts per second against a bare workflow running the same number of no-op
 * activities (the ceiling), then a burst of N checkouts posted within one second. One dev server, same worker settings.
 * The bare side counts a workflow complete when it has closed (the client's result long-poll); the checkout side when its
 * last activity, the confirmation email, has been recorded (one shared database poll sees `notification.sent`). The
 * checkout's cancellation window (1s here) then goes on without holding a slot: its timer and last workflow task still
 * run during the measurement, except for the last second's orders.
 * BENCH_TOTAL (default 300) and BENCH_CONCURRENCY (default 50) size the sustained runs; DATABASE_URL picks PostgreSQL;
 * BENCH_DETAIL=1 adds where the time goes (CPU per item, per-activity time and SQL statements, history figures);
 * BENCH_PROFILE=<file> writes a CPU profile of this process over the sustained checkout phase; BENCH_ACTIVITIES=noop
 * runs the checkout with no-op activities (bench/checkout-noop-activities.ts), to tell design cost from work cost.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { and, eq, inArray } from 'drizzle-orm';
import { createApp } from '../api/app';
import { mintToken } from '../api/auth';
import { createTestDb } from '../test/support/db';
import { cartLines, carts, orderEvents, orders, products } from '../db/schema';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { resolveTemporalCli } from '../scripts/temporal-cli';
import { freePort, startDevServer } from '../scripts/temporal-dev-server';
import { createActivityDeps } from '../workers/deps';
import { createWorker } from '../workers/worker';
import { createActivities } from '../activities';
import { noopCheckoutActivities } from './checkout-noop-activities';
import { checkoutWorkflowId } from '../workflows/types';
import { countSql, cpuNow, cpuPer, historySummary, resetStats, startProfile, statsPer, timingInterceptor } from './checkout-measure';

const TOTAL = Number(process.env.BENCH_TOTAL ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const DETAIL = process.env.BENCH_DETAIL === '1';
const NOOP = process.env.BENCH_ACTIVITIES === 'noop';
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
  // A bench that fails half way exits through process.exit: never leave its dev server behind.
  process.once('exit', () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });
  const taskQueue = `bench-${randomUUID()}`;
  const config = loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', TASK_QUEUE: taskQueue, TEMPORAL_ADDRESS: server.address, CANCELLATION_WINDOW: '1s' });
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
  const activities = NOOP ? { ...createActivities(built.deps), ...noopCheckoutActivities(db) } : undefined;
  const worker = await createWorker({ connection: native, namespace: 'default', taskQueue, deps: built.deps, extra: { ...extra, ...(activities && { activities }) } });
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
  // One poller for every waiting order, so measuring does not load the database more than the checkouts do:
  // `terminal` waits for a final order status, `notified` for the order's confirmation email (notification.sent).
  const waiters = { terminal: new Map<string, () => void>(), notified: new Map<string, () => void>() };
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const terminal = [...waiters.terminal.keys()];
      const notified = [...waiters.notified.keys()];
      const done = [
        ...(terminal.length
          ? (await db.select({ id: orders.id }).from(orders).where(and(inArray(orders.id, terminal), inArray(orders.status, ['confirmed', 'failed', 'cancelled'])))).map((d) => ({ id: d.id, set: waiters.terminal }))
          : []),
        ...(notified.length
          ? (await db.select({ id: orderEvents.orderId }).from(orderEvents).where(and(inArray(orderEvents.orderId, notified), eq(orderEvents.type, 'notification.sent')))).map((d) => ({ id: d.id, set: waiters.notified }))
          : []),
      ];
      for (const d of done) {
        d.set.get(d.id)?.();
        d.set.delete(d.id);
      }
      await sleep(50);
    }
  })();
  const waitFor = async (kind: keyof typeof waiters, ids: string[], timeoutMs: number): Promise<string[]> => {
    const left = new Set(ids);
    await Promise.race([
      Promise.all(ids.map((id) => new Promise<void>((resolve) => waiters[kind].set(id, () => (left.delete(id), resolve()))))),
      sleep(timeoutMs),
    ]);
    for (const id of left) waiters[kind].delete(id);
    return [...left];
  };
  const waitTerminal = (ids: string[], timeoutMs: number) => waitFor('terminal', ids, timeoutMs);
  /** A checkout is complete when its last activity has recorded the confirmation email. */
  const waitComplete = async (orderId: string) => {
    const left = await waitFor('notified', [orderId], 60_000);
    if (left.length) throw new Error(`order ${orderId} sent no confirmation`);
  };
  /** Waits until the checkout workflows themselves closed (after the cancellation window), so phases do not overlap. */
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
  const stopProfile = await startProfile(process.env.BENCH_PROFILE);
  cpu0 = cpuNow(server.child.pid);
  t0 = performance.now();
  await pool(shoppers, CONCURRENCY, async (s) => {
    const r = await post(s);
    if (r.status !== 202 || !r.orderId) throw new Error(`checkout answered ${r.status}`);
    orderIds.push(r.orderId);
    await waitComplete(r.orderId);
  });
  const checkoutRate = TOTAL / ((performance.now() - t0) / 1000);
  const checkoutCpu = cpuPer(cpu0, cpuNow(server.child.pid), TOTAL);
  const activityStats = statsPer(TOTAL);
  await stopProfile();
  await waitClosed(orderIds);

  // Burst: N within one second.
  const n = Math.min(500, Math.max(10, Math.round(checkoutRate * 10)));
  const burstShoppers = await prepare(n);
  t0 = performance.now();
  let lastSent = 0;
  const results = await Promise.all(burstShoppers.map(async (s, i) => {
    await sleep((i / n) * 1000);
    lastSent = Math.max(lastSent, performance.now() - t0);
    return post(s);
  }));
  const answeredIn = performance.now() - t0;
  const accepted = results.filter((r) => r.status === 202);
  // With no-op activities orders never leave `pending`: there, the burst's orders are done when their last activity has run.
  const lost = await (NOOP ? waitFor('notified', accepted.map((r) => r.orderId!), 300_000) : waitTerminal(accepted.map((r) => r.orderId!), 300_000));
  const allTerminalS = (performance.now() - t0) / 1000;

  const figures = {
    database: handle.kind,
    activities: NOOP ? 'no-op (BENCH_ACTIVITIES=noop)' : 'real',
    sustained: { total: TOTAL, concurrency: CONCURRENCY, bareWorkflowsPerSec: +bareRate.toFixed(1), checkoutsPerSec: +checkoutRate.toFixed(1), ratio: +(checkoutRate / bareRate).toFixed(2) },
    burst: { posted: n, lastSentAtMs: Math.round(lastSent), allAnsweredAtMs: Math.round(answeredIn), accepted: accepted.length, p99AcceptMs: Math.round(p99(results.map((r) => r.ms))), allTerminalAfterS: +allTerminalS.toFixed(1), lostOrders: lost.length },
  };
  console.log(JSON.stringify(figures, null, 2));
  if (DETAIL) {
    const sample = orderIds.slice(-10);
    const detail = {
      cpuPerItem: { bare: bareCpu, checkout: checkoutCpu },
      checkoutActivitiesInWorker: activityStats,
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
