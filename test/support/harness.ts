/**
 * The whole system in one test file: a fresh database, a Temporal client and worker on the shared dev server
 * (own task queue), and the real Hono app wired to them. Close it in afterAll.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createApp, type App } from '../../api/app';
import { mintToken, type Role } from '../../api/auth';
import type { ActivityDeps } from '../../activities';
import { loadConfig, type Config } from '../../lib/config';
import { encryptingDataConverter } from '../../lib/payload-codec';
import { tracingClientInterceptors, type Tracing } from '../../lib/tracing';
import { createWorker } from '../../workers/worker';
import { createActivityDeps } from '../../workers/deps';
import { createTestDb, type TestDb } from './db';
import { installTestRuntime, testLogger } from './logs';

export interface HarnessOptions {
  /** Extra environment for loadConfig (e.g. PAYMENT_CONFIRMATION_TIMEOUT). */
  env?: Record<string, string>;
  /** Start a worker on the harness task queue (default true). */
  worker?: boolean;
  /** Replace or add activities, e.g. to reach a failure path real parts cannot. */
  activities?: (deps: ActivityDeps) => Partial<Record<string, (...args: never[]) => Promise<unknown>>>;
  /** Trace the app, the client and the worker (test/observability: an in-memory exporter). */
  tracing?: Tracing;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface CallResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Harness {
  app: App;
  db: TestDb;
  config: Config;
  client: Client;
  taskQueue: string;
  worker?: Worker;
  /** Activity dependencies the worker uses (for tests that build activities themselves). */
  deps: ActivityDeps;
  token(role: Role, sub?: string): Promise<string>;
  call<T = any>(method: string, path: string, opts?: CallOptions): Promise<CallResult<T>>;
  /** Stop and start the worker (e.g. to simulate a crash). */
  restartWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  installTestRuntime();
  const address = process.env.ORDERLY_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('ORDERLY_TEST_TEMPORAL_ADDRESS is not set: run through jest (global setup)');
  const taskQueue = `test-${randomUUID()}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    TASK_QUEUE: taskQueue,
    TEMPORAL_ADDRESS: address,
    ...opts.env,
  });
  const log = testLogger(config.logLevel);
  const db = await createTestDb();
  const connection = await Connection.connect({ address });
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: encryptingDataConverter(config.payloadKeys),
    interceptors: tracingClientInterceptors(opts.tracing),
  });
  const built = await createActivityDeps({ config, db: db.db, log });
  const deps: ActivityDeps = built.deps;

  let nativeConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const startWorker = async () => {
    nativeConnection ??= await NativeConnection.connect({ address });
    worker = await createWorker({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue,
      deps,
      workflowBundlePath: process.env.ORDERLY_WORKFLOW_BUNDLE,
      tuning: config.worker,
      tracing: opts.tracing,
      extra: opts.activities
        ? { activities: { ...(await import('../../activities')).createActivities(deps), ...opts.activities(deps) } }
        : { shutdownGraceTime: '2s' },
    });
    running = worker.run();
  };
  const stopWorker = async () => {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    worker = undefined;
    running = undefined;
  };
  if (opts.worker !== false) await startWorker();

  const app = createApp({ db: db.db, temporal: client, config, log, clock: () => new Date(), tracing: opts.tracing });

  return {
    app,
    db,
    config,
    client,
    taskQueue,
    get worker() {
      return worker;
    },
    deps,
    token: (role, sub = randomUUID()) => mintToken(config.auth.jwtSecret, { sub, role }),
    async call(method, path, { token, body, headers = {} } = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (token) (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      const res = await app.request(path, init);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: leave as text
      }
      return { status: res.status, body: parsed as never, headers: res.headers };
    },
    async restartWorker() {
      await stopWorker();
      await startWorker();
    },
    stopWorker,
    async close() {
      await stopWorker();
      await nativeConnection?.close();
      await connection.close();
      await built.close();
      await db.close();
    },
  };
}
