/**
 * `npm run bench:checkout`: what a checkout costs the machine, against bare workflows with the checkout's seven
 * activities as no-ops, side by side in one run (docs/benchmarks.md, "Checkouts"). One Temporal dev server, one
 * process for the API and the worker (as `make start`: the API's client shares the worker's NativeConnection, so
 * checkouts start eagerly). Sides, run in interleaved rounds so the machine's drift falls on all alike:
 * - `checkout`: POST /checkout through the app, the real activities, a 1 s cancellation window (its timer, last
 *   workflow task and close are inside the side's cost);
 * - `bare`: seven no-op regular activities (the reference of issue 17's target);
 * - `bareLocal`: seven no-op local activities, started eagerly (the floor of the checkout's design).
 * A side's cost is the CPU of this process, the dev server and the bench database's PostgreSQL backends from its first
 * start until BENCH_SETTLE_S after its last workflow closed (the dev server's deferred timeout checks), less their idle
 * use over the settle, per item. Then, for the checkout: latency from accept (202) to confirmed at half the measured
 * rate, and a burst of 10 s worth of checkouts posted within one second.
 * DATABASE_URL picks PostgreSQL (else PGlite in this process). BENCH_PER_ROUND (150), BENCH_ROUNDS (2),
 * BENCH_CONCURRENCY (30), BENCH_SETTLE_S (32). Figures: a table on stdout, JSON in BENCH_JSON
 * (default .data/bench/checkout.json). BENCH_PROFILE=<file.cpuprofile>: a CPU profile of this process (API and worker)
 * over the first round's checkout side.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { and, inArray, sql } from 'drizzle-orm';
import { createApp } from '../api/app';
import { mintToken } from '../api/auth';
import { cartLines, carts, orders, products } from '../db/schema';
import { createThrowawayDb } from '../db/throwaway';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { encryptingDataConverter } from '../lib/payload-codec';
import { resolveTemporalCli } from '../scripts/temporal-cli';
import { freePort, startDevServer } from '../scripts/temporal-dev-server';
import { createActivityDeps } from '../workers/deps';
import { createWorker } from '../workers/worker';
import { CHECKOUT_WORKFLOW_TYPE, checkoutWorkflowId } from '../contract';
import { completion, whenDone } from './checkout-completion';
import { machine, printTable, selfCpuSeconds, treeCpuSeconds, writeFigures, type Row } from './report';

const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 150);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 30);
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 32);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

type Cpu = { app: number; temporal: number; postgres: number };

/** Starts a CPU profile of this process when `file` is set; the returned function stops it and writes the file. */
async function startProfile(file: string | undefined): Promise<() => Promise<void>> {
  if (!file) return async () => {};
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

async function main() {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-bench-'));
  const server = await startDevServer({
    cli: resolveTemporalCli(),
    port: await freePort(),
    logFile: fs.createWriteStream(path.join(tmp, 'temporal.log')),
  });
  process.once('exit', () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });
  const taskQueue = `bench-${randomUUID()}`;
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    TASK_QUEUE: taskQueue,
    TEMPORAL_ADDRESS: server.address,
    CANCELLATION_WINDOW: '1s',
  });
  const log = createLogger('silent', 'bench');
  const handle = await createThrowawayDb({ serverUrl: process.env.DATABASE_URL });
  const db = handle.db;
  const native = await NativeConnection.connect({ address: server.address });
  // One client on the worker's connection, as `make start` wires it: checkouts and bareLocal start eagerly.
  const client = new Client({ connection: native, dataConverter: encryptingDataConverter(config.payloadKeys) });
  const built = await createActivityDeps({ config, db, log });
  const extra = { interceptors: { activity: [completion] } };
  const worker = await createWorker({
    connection: native,
    namespace: 'default',
    taskQueue,
    deps: built.deps,
    tuning: config.worker,
    extra,
  });
  const bareWorker = await Worker.create({
    connection: native,
    taskQueue: `${taskQueue}-bare`,
    workflowsPath: require.resolve('./checkout-bare-workflows'),
    activities: { noop: async () => {} },
    ...config.worker,
    ...extra,
  });
  const running = [worker.run(), bareWorker.run()];
  const app = createApp({ db, temporal: client, config, log, clock: () => new Date() });

  // PostgreSQL's share: the bench database's own backends (the server is shared with other work).
  const backends = async () =>
    handle.kind === 'pglite'
      ? []
      : // postgres.js answers with an array of rows.
        (
          (await db.execute(
            sql`select pid from pg_stat_activity where datname = current_database()`,
          )) as unknown as Array<{ pid: number }>
        ).map((r) => Number(r.pid));
  const pgBase = new Map<number, number>();
  const cpuNow = async (): Promise<Cpu> => {
    let postgres = 0;
    for (const pid of await backends()) {
      const cpu = treeCpuSeconds(pid);
      if (!pgBase.has(pid)) pgBase.set(pid, cpu);
      postgres += cpu - pgBase.get(pid)!;
    }
    return {
      app: selfCpuSeconds() * 1000,
      temporal: treeCpuSeconds(server.child.pid!) * 1000,
      postgres: postgres * 1000,
    };
  };
  const diff = (a: Cpu, b: Cpu): Cpu => ({
    app: b.app - a.app,
    temporal: b.temporal - a.temporal,
    postgres: b.postgres - a.postgres,
  });

  const productId = randomUUID();
  await db.insert(products).values({
    id: productId,
    sku: 'BENCH-1',
    name: 'Bench',
    category: 'bench',
    priceCents: 100,
    currency: 'EUR',
    stock: 10_000_000,
  });
  const shoppers = (n: number) =>
    Promise.all(
      Array.from({ length: n }, async () => {
        const customerId = randomUUID();
        const [cart] = await db.insert(carts).values({ customerId }).returning({ id: carts.id });
        await db.insert(cartLines).values({ cartId: cart!.id, productId, quantity: 1 });
        return {
          token: await mintToken(config.auth.jwtSecret, { sub: customerId, role: 'customer' }),
          cartId: cart!.id,
        };
      }),
    );
  const post = async (s: { token: string; cartId: string }) => {
    const started = performance.now();
    const res = await app.request('/checkout', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${s.token}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({
        cartId: s.cartId,
        email: 'bench@example.com',
        shippingAddress: { name: 'B', line1: '1', city: 'C', postalCode: '1', country: 'DE' },
        payment: { method: 'card', token: 'tok_visa' },
      }),
    });
    const body = (await res.json()) as { orderId?: string };
    if (res.status !== 202 || !body.orderId) throw new Error(`checkout answered ${res.status}`);
    return { orderId: body.orderId, acceptedAt: performance.now(), acceptMs: performance.now() - started };
  };
  /** Open workflows of a type, from visibility: one call, whatever the number of items. */
  const open = async (type: string) =>
    (await client.workflow.count(`WorkflowType = '${type}' AND ExecutionStatus = 'Running'`)).count;
  const waitClosed = async (type: string) => {
    const until = Date.now() + 300_000;
    while ((await open(type)) > 0) {
      if (Date.now() > until) throw new Error(`${type} workflows still open after 300 s`);
      await sleep(250);
    }
  };

  interface Side {
    name: 'checkout' | 'bare' | 'bareLocal';
    type: string;
    /** Prepares n items; each runs one to its last activity and gives its key. */
    prepare(n: number): Promise<Array<() => Promise<void>>>;
    items: number;
    ms: number;
    cpu: Cpu;
    /** Workflow ids of the measured items, for the sampled histories. */
    ids: string[];
  }
  const bare = (name: Side['name'], type: string, eager: boolean): Side => {
    const side: Side = {
      name,
      type,
      items: 0,
      ms: 0,
      cpu: { app: 0, temporal: 0, postgres: 0 },
      ids: [],
      prepare: async (n) =>
        Array.from({ length: n }, () => async () => {
          const workflowId = `bare-${randomUUID()}`;
          const done = whenDone(workflowId);
          await client.workflow.start(type, { taskQueue: `${taskQueue}-bare`, workflowId, requestEagerStart: eager });
          await done;
          side.ids.push(workflowId);
        }),
    };
    return side;
  };
  const sides: Side[] = [
    {
      name: 'checkout',
      type: CHECKOUT_WORKFLOW_TYPE,
      items: 0,
      ms: 0,
      cpu: { app: 0, temporal: 0, postgres: 0 },
      ids: [],
      prepare: async (n) =>
        (await shoppers(n)).map((s) => async () => {
          const { orderId } = await post(s);
          await whenDone(orderId);
          sides[0]!.ids.push(checkoutWorkflowId(orderId));
        }),
    },
    bare('bare', 'bareCheckout', false),
    bare('bareLocal', 'bareLocalCheckout', true),
  ];

  // Warm-up (bundles, connections, JIT), then the idle use of each process, subtracted over every settle.
  for (const side of sides) {
    for (const run of await side.prepare(10)) await run();
    await waitClosed(side.type);
  }
  const probe = await client.workflow.start('bareLocalCheckout', {
    taskQueue: `${taskQueue}-bare`,
    workflowId: `probe-${randomUUID()}`,
    requestEagerStart: true,
  });
  const eagerStart = probe.eagerlyStarted;
  await probe.result();
  await sleep(SETTLE_S * 1000);
  const idleFrom = await cpuNow();
  await sleep(5_000);
  const idlePerS = diff(idleFrom, await cpuNow());
  for (const k of Object.keys(idlePerS) as Array<keyof Cpu>) idlePerS[k] /= 5;

  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      const runs = await side.prepare(PER_ROUND);
      const stopProfile = await startProfile(
        round === 0 && side.name === 'checkout' ? process.env.BENCH_PROFILE : undefined,
      );
      const before = await cpuNow();
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < runs.length) await runs[next++]!();
        }),
      );
      side.ms += performance.now() - t0;
      await waitClosed(side.type);
      await stopProfile();
      const closed = performance.now();
      await sleep(SETTLE_S * 1000);
      const used = diff(before, await cpuNow());
      const settleS = (performance.now() - closed) / 1000;
      for (const k of Object.keys(used) as Array<keyof Cpu>) side.cpu[k] += used[k] - idlePerS[k] * settleS;
      side.items += runs.length;
    }
  }
  const perItem = (side: Side) => {
    const c = side.cpu;
    const total = (c.app + c.temporal + c.postgres) / side.items;
    return {
      perSec: side.items / (side.ms / 1000),
      app: c.app / side.items,
      temporal: c.temporal / side.items,
      postgres: c.postgres / side.items,
      total,
    };
  };
  /**
   * What the last 20 histories of a side hold, per item: events, and workflow tasks that timed out or failed. A task
   * that timed out (an overloaded worker missed its deadline) runs again, local activities included: on this shared
   * machine that is the main cause of a run's CPU per checkout going up.
   */
  const histories = async (side: Side) => {
    const sample = side.ids.slice(-20);
    const counts = { events: 0, taskTimeouts: 0, taskFailures: 0 };
    for (const id of sample) {
      const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
      counts.events += events.length;
      counts.taskTimeouts += events.filter((e) => e.workflowTaskTimedOutEventAttributes).length;
      counts.taskFailures += events.filter((e) => e.workflowTaskFailedEventAttributes).length;
    }
    return {
      events: counts.events / sample.length,
      taskTimeouts: counts.taskTimeouts / sample.length,
      taskFailures: counts.taskFailures / sample.length,
    };
  };
  const sampled = Object.fromEntries(await Promise.all(sides.map(async (s) => [s.name, await histories(s)] as const)));
  const figures = Object.fromEntries(sides.map((s) => [s.name, { ...perItem(s), history: sampled[s.name]! }]));
  const reference = figures.bare!.total;

  // Latency at half the measured rate: accept (202) to confirmed (confirmOrder done), over about 20 s.
  const rate = figures.checkout!.perSec / 2;
  const paced = await shoppers(Math.max(20, Math.round(rate * 20)));
  const latencies = await Promise.all(
    paced.map(async (s, i) => {
      await sleep((i / rate) * 1000);
      const { orderId, acceptedAt } = await post(s);
      return (await whenDone(orderId, 'confirmed')) - acceptedAt;
    }),
  );
  await waitClosed(CHECKOUT_WORKFLOW_TYPE);

  // Burst: ten seconds' worth of checkouts posted within one second; every accepted order must end.
  const n = Math.min(500, Math.max(20, Math.round(figures.checkout!.perSec * 10)));
  const burstShoppers = await shoppers(n);
  const b0 = performance.now();
  const answers = await Promise.allSettled(
    burstShoppers.map(async (s, i) => {
      await sleep((i / n) * 1000);
      return post(s);
    }),
  );
  const accepted = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  const left = new Set(accepted.map((a) => a.orderId));
  const until = performance.now() + 300_000;
  while (left.size && performance.now() < until) {
    await sleep(200);
    const ended = await db
      .select({ id: orders.id })
      .from(orders)
      .where(and(inArray(orders.id, [...left]), inArray(orders.status, ['confirmed', 'failed', 'cancelled'])));
    for (const e of ended) left.delete(e.id);
  }
  const burst = {
    posted: n,
    accepted: accepted.length,
    p99AcceptMs: pct(
      accepted.map((a) => a.acceptMs),
      0.99,
    ),
    allTerminalS: (performance.now() - b0) / 1000,
    lost: left.size,
  };

  const rows: Row[] = sides.map((s) => {
    const f = figures[s.name]!;
    return {
      side: s.name,
      'items/s': f.perSec,
      'API+worker ms': f.app,
      'Temporal ms': f.temporal,
      'PostgreSQL ms': handle.kind === 'pglite' ? null : f.postgres,
      'total ms': f.total,
      'x bare': f.total / reference,
      'events/item': f.history.events,
      'task timeouts/item': f.history.taskTimeouts,
    };
  });
  const run = {
    ...machine(),
    database: handle.kind,
    eagerStart,
    perRound: PER_ROUND,
    rounds: ROUNDS,
    concurrency: CONCURRENCY,
    cpuMsPerItem: figures,
    checkoutVsBare: figures.checkout!.total / reference,
    latency: { ratePerSec: rate, items: latencies.length, p50Ms: pct(latencies, 0.5), p99Ms: pct(latencies, 0.99) },
    burst,
  };
  printTable(
    `CPU per item by process (${handle.kind}, ${ROUNDS}x${PER_ROUND} per side, eager start ${eagerStart})`,
    rows,
  );
  printTable('Checkout latency and burst', [
    { measure: `accept to confirmed p50 (ms) at ${rate.toFixed(1)}/s`, value: run.latency.p50Ms },
    { measure: 'accept to confirmed p99 (ms)', value: run.latency.p99Ms },
    { measure: 'burst accepted / posted', value: `${burst.accepted} / ${burst.posted}` },
    { measure: 'burst p99 to accept (ms)', value: burst.p99AcceptMs },
    { measure: 'burst all terminal after (s)', value: burst.allTerminalS },
    { measure: 'burst lost', value: burst.lost },
  ]);
  console.log(`\nfigures: ${writeFigures('.data/bench/checkout.json', run)}`);

  worker.shutdown();
  bareWorker.shutdown();
  await Promise.all(running);
  await built.close();
  await native.close();
  await handle.close();
  await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(burst.lost || burst.accepted < n ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
