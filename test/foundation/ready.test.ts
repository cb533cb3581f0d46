/**
 * GET /ready tells the truth about its dependencies: 503 naming the one that is down, 200 again once it is back.
 * Temporal and PostgreSQL are really stopped and started (a dev server of our own; a TCP proxy in front of PostgreSQL).
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { createDb } from '../../db/client';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import { freePort, startDevServer, type DevServer } from '../../scripts/temporal-dev-server';
import { createActivityDeps } from '../../workers/deps';
import { createWorker } from '../../workers/worker';
import { createTestDb, type TestDb } from '../support/db';
import { installTestRuntime } from '../support/logs';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

installTestRuntime();

interface Ready {
  status: number;
  body: { status: string; checks: { name: string; ok: boolean; error?: string }[] };
}

type AppLike = { request: (path: string) => Response | Promise<Response> };

async function ready(app: AppLike): Promise<Ready> {
  const res = await app.request('/ready');
  return { status: res.status, body: (await res.json()) as Ready['body'] };
}

const failing = (r: Ready) => r.body.checks.filter((c) => !c.ok).map((c) => c.name);

/** Waits (bounded) until /ready answers 200, and returns that answer. */
function readyAgain(app: AppLike, timeoutMs = 60_000): Promise<Ready> {
  return waitFor(
    'GET /ready to answer 200',
    () => ready(app),
    (r) => r.status === 200,
    timeoutMs,
  );
}

/** A worker on its own task queue, so the `worker` check can pass. */
async function startPollingWorker(address: string, taskQueue: string, db: TestDb) {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    TEMPORAL_ADDRESS: address,
    TASK_QUEUE: taskQueue,
  });
  const connection = await NativeConnection.connect({ address });
  const built = await createActivityDeps({ config, db: db.db, log: createLogger('silent') });
  const worker: Worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    deps: built.deps,
    workflowBundlePath: process.env.ORDERLY_WORKFLOW_BUNDLE,
    extra: { shutdownGraceTime: '1s' },
  });
  const running = worker.run();
  return {
    worker,
    running,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => {});
      await built.close();
      await connection.close();
    },
  };
}

describe('when the Temporal server stops and comes back', () => {
  let server: DevServer | undefined;
  let db: TestDb;
  let connection: Connection;
  let worker: Awaited<ReturnType<typeof startPollingWorker>>;
  let app: ReturnType<typeof createApp>;
  let cli: string;
  let port: number;

  beforeAll(async () => {
    cli = process.env.ORDERLY_TEMPORAL_CLI ?? resolveTemporalCli();
    port = await freePort();
    server = await startDevServer({ cli, port });
    db = await createTestDb();
    const taskQueue = `ready-${randomUUID()}`;
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      TEMPORAL_ADDRESS: server.address,
      TASK_QUEUE: taskQueue,
    });
    connection = await Connection.connect({ address: server.address });
    worker = await startPollingWorker(server.address, taskQueue, db);
    const temporal = new Client({ connection, namespace: config.temporal.namespace });
    app = createApp({ db: db.db, temporal, config, log: createLogger('silent'), clock: () => new Date() });
  });

  afterAll(async () => {
    await worker?.stop();
    await connection?.close();
    await server?.stop();
    await db?.close();
  });

  test('ready is 200 with a polling worker, 503 naming temporal while it is down, and 200 again after it restarts', async () => {
    const before = await readyAgain(app);
    expect(before.body.checks.map((c) => c.name)).toEqual(['database', 'temporal', 'worker']);

    await server!.stop();
    const down = await ready(app);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('not_ready');
    expect(failing(down)).toContain('temporal');
    expect(failing(down)).not.toContain('database');

    // Same port, so the existing client and worker reconnect on their own (bounded wait for their backoff).
    server = await startDevServer({ cli, port });
    const back = await readyAgain(app, 90_000);
    expect(failing(back)).toEqual([]);
  });
});

/** A TCP proxy that can be stopped and started on the same port: "the database went away" without touching it. */
function tcpProxy(target: { host: string; port: number }) {
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  return {
    port: 0,
    async start(port?: number) {
      port ??= this.port;
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        track(client);
        track(upstream);
        client.pipe(upstream).on('error', () => client.destroy());
        upstream.pipe(client).on('error', () => upstream.destroy());
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
      this.port = (server.address() as net.AddressInfo).port;
    },
    async stop() {
      const closed = new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      for (const s of sockets) s.destroy();
      await closed;
      server = undefined;
    },
  };
}

const onPostgres = process.env.DATABASE_URL ? describe : describe.skip;

onPostgres('when PostgreSQL stops answering and comes back', () => {
  let db: TestDb;
  let proxied: Awaited<ReturnType<typeof createDb>>;
  let proxy: ReturnType<typeof tcpProxy>;
  let connection: Connection;
  let worker: Awaited<ReturnType<typeof startPollingWorker>>;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    const address = process.env.ORDERLY_TEST_TEMPORAL_ADDRESS!;
    db = await createTestDb();
    const real = new URL(db.url!);
    proxy = tcpProxy({ host: real.hostname, port: Number(real.port || 5432) });
    await proxy.start();
    const viaProxy = new URL(db.url!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    proxied = await createDb({ url: viaProxy.toString(), max: 2 });
    const taskQueue = `ready-db-${randomUUID()}`;
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      TEMPORAL_ADDRESS: address,
      TASK_QUEUE: taskQueue,
    });
    connection = await Connection.connect({ address });
    worker = await startPollingWorker(address, taskQueue, db);
    const temporal = new Client({ connection, namespace: config.temporal.namespace });
    app = createApp({ db: proxied.db, temporal, config, log: createLogger('silent'), clock: () => new Date() });
  });

  afterAll(async () => {
    await worker?.stop();
    await connection?.close();
    await proxied?.close().catch(() => {});
    await proxy?.stop();
    await db?.close();
  });

  test('ready is 503 naming database while it is unreachable and 200 once it is reachable again', async () => {
    await readyAgain(app);

    await proxy.stop();
    const down = await ready(app);
    expect(down.status).toBe(503);
    expect(failing(down)).toEqual(['database']);

    await proxy.start();
    expect(failing(await readyAgain(app, 30_000))).toEqual([]);
  });
});

describe('with the embedded database', () => {
  test('ready is 503 naming database once the PGlite handle is closed', async () => {
    // PGlite lives inside this process: there is no server to lose and come back, only a handle that can be
    // closed (as on shutdown). A closed handle cannot reopen, so "ready again" applies to PostgreSQL only.
    const handle = await createDb({ dataDir: 'memory://' });
    const connection = await Connection.connect({ address: process.env.ORDERLY_TEST_TEMPORAL_ADDRESS! });
    try {
      const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', TASK_QUEUE: `ready-pglite-${randomUUID()}` });
      const temporal = new Client({ connection, namespace: config.temporal.namespace });
      const app = createApp({ db: handle.db, temporal, config, log: createLogger('silent'), clock: () => new Date() });
      const open = await ready(app);
      expect(open.body.checks.find((c) => c.name === 'database')?.ok).toBe(true);
      // Nobody polls this task queue: the worker check names the queue.
      expect(open.body.checks.find((c) => c.name === 'worker')?.error).toContain(config.temporal.taskQueue);

      await handle.close();
      const closed = await ready(app);
      expect(closed.status).toBe(503);
      expect(failing(closed)).toContain('database');
    } finally {
      await connection.close();
    }
  });
});
