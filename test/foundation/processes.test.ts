/**
 * The processes a deployment runs: the worker really polls and drains on SIGTERM (in-process, and as its own
 * process on PostgreSQL), the demo catalog loads once, and the token script mints tokens the API accepts.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { count } from 'drizzle-orm';
import { verifyToken } from '../../api/auth';
import { checkWorkerPolling } from '../../api/routes/health';
import { products } from '../../db/schema';
import { DEMO_PRODUCTS, seedCatalog } from '../../db/seed';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { tokenFromArgs } from '../../scripts/token';
import { startWorker } from '../../workers/main';
import { createTestDb, type TestDb } from '../support/db';
import { installTestRuntime } from '../support/logs';
import { waitForSuccess } from '../support/wait';

jest.setTimeout(120_000);

installTestRuntime();

const root = path.resolve(__dirname, '..', '..');
const address = () => process.env.ORDERLY_TEST_TEMPORAL_ADDRESS!;

let db: TestDb;
let connection: Connection;
let client: Client;
beforeAll(async () => {
  db = await createTestDb();
  connection = await Connection.connect({ address: address() });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await db?.close();
});

/** Waits (bounded) until a worker polls the queue, as GET /ready's worker check sees it. */
async function untilPolling(taskQueue: string, timeoutMs = 60_000): Promise<void> {
  const config = loadConfig({ TEMPORAL_ADDRESS: address(), TASK_QUEUE: taskQueue });
  await waitForSuccess(
    `a worker polling ${taskQueue}`,
    () => checkWorkerPolling({ temporal: client, config, clock: () => new Date() }),
    timeoutMs,
  );
}

test('an in-process worker polls its task queue and stop() drains it and closes its connection', async () => {
  const taskQueue = `proc-${randomUUID()}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    TEMPORAL_ADDRESS: address(),
    TASK_QUEUE: taskQueue,
  });
  const running = await startWorker({
    config,
    db: db.db,
    log: createLogger('silent'),
    workflowBundlePath: process.env.ORDERLY_WORKFLOW_BUNDLE,
  });
  await untilPolling(taskQueue);
  expect(running.worker.getState()).toBe('RUNNING');
  await running.stop();
  expect(running.worker.getState()).toBe('STOPPED');
  await expect(running.done).resolves.toBeUndefined();
  await running.stop(); // a second stop is harmless
});

const onPostgres = process.env.DATABASE_URL ? test : test.skip;
onPostgres('workers/main.ts as its own process polls, then exits 0 on SIGTERM after draining', async () => {
  const taskQueue = `proc-main-${randomUUID()}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: db.url!,
      TEMPORAL_ADDRESS: address(),
      TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'info',
    },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await untilPolling(taskQueue, 90_000);
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 30_000))),
    ]);
    clearTimeout(timer);
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    expect(output).toContain('draining in-flight tasks');
    expect(output).toContain('worker stopped');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('the demo catalog loads once: a second seed adds nothing and leaves changed rows alone', async () => {
  const first = await seedCatalog(db.db);
  expect(first).toBe(DEMO_PRODUCTS.length);
  const categories = new Set(DEMO_PRODUCTS.map((p) => p.category));
  expect(categories.size).toBeGreaterThanOrEqual(3);
  expect(DEMO_PRODUCTS.every((p) => (p.stock ?? 0) > 0 && p.priceCents >= 0)).toBe(true);

  await db.db.update(products).set({ stock: 3 });
  expect(await seedCatalog(db.db)).toBe(0);
  const [{ n }] = (await db.db.select({ n: count() }).from(products)) as [{ n: number }];
  expect(n).toBe(DEMO_PRODUCTS.length);
  const stocks = await db.db.select({ stock: products.stock }).from(products);
  expect(stocks.every((s) => s.stock === 3)).toBe(true);
});

test('the token script mints a token the API verifies, and refuses a bad sub or role', async () => {
  const secret = loadConfig({}).auth.jwtSecret;
  const sub = randomUUID();
  const token = await tokenFromArgs(['--sub', sub, '--role', 'admin'], secret);
  await expect(verifyToken(secret, token)).resolves.toEqual({ sub, role: 'admin' });
  await expect(tokenFromArgs(['--sub', 'nope', '--role', 'root'], secret)).rejects.toThrow(/--sub.*--role/s);
});
