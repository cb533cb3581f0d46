/**
 * The production build for real: `scripts/build.ts` into a scratch folder, the production dependencies alone
 * (`npm ci --omit=dev --omit=optional`, as the Dockerfile's runtime stage), and the compiled migrate, seed, token, API
 * and worker run on the provisioned Node LTS against PostgreSQL and the Temporal dev server: a checkout confirms and
 * mails, and SIGTERM drains both processes. PostgreSQL only: production refuses to start without DATABASE_URL.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { ENTRY_POINTS } from '../../scripts/build';
import { NODE_LTS_VERSION, resolveNodeLts } from '../../scripts/node-lts';
import { freePort } from '../../scripts/temporal-dev-server';
import { dropDatabase } from '../support/db';
import { startTestSmtp, type TestSmtp } from '../support/smtp';
import { waitFor } from '../support/wait';

jest.setTimeout(600_000);

const root = path.resolve(__dirname, '..', '..');
const base = process.env.DATABASE_URL;
const onPostgres = base ? test : test.skip;

interface Proc {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

function run(cmd: string, args: string[], opts: { cwd: string; env?: Record<string, string> }): Proc {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Waits (bounded) for the process to exit and returns its output; fails with that output unless it exited 0. */
async function succeeded(proc: Proc, what: string, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    proc.exited,
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (code === 'timeout') proc.child.kill('SIGKILL');
  if (code !== 0) throw new Error(`${what} ended with ${code}:\n${proc.output()}`);
  return proc.output();
}

const tmp = () => fs.mkdtempSync(path.join(process.env.ORDERLY_TEST_TMP ?? '/tmp', 'prod-'));

let app: string;
let dbName: string | undefined;
let smtp: TestSmtp | undefined;
const running: Proc[] = [];
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await smtp?.stop();
  if (base && dbName) await dropDatabase(base, dbName);
  if (app) fs.rmSync(app, { recursive: true, force: true });
});

onPostgres('the build runs on plain node with production dependencies only: a checkout confirms', async () => {
  app = tmp();
  // Build and install side by side: tsc and npm ci are the slow parts, and neither needs the other.
  for (const file of ['package.json', 'package-lock.json', '.npmrc'])
    fs.copyFileSync(path.join(root, file), path.join(app, file));
  const built = run(
    process.execPath,
    // make test type-checks this tree already; the emit is the same without the check, and half the CPU.
    [
      '--import',
      'tsx',
      'scripts/build.ts',
      '--out-dir',
      path.join(app, 'dist'),
      '--workflow-bundle',
      process.env.ORDERLY_WORKFLOW_BUNDLE!,
      '--no-typecheck',
    ],
    { cwd: root },
  );
  const installed = run(
    'npm',
    ['ci', '--omit=dev', '--omit=optional', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd: app },
  );
  await Promise.all([succeeded(built, 'the build', 420_000), succeeded(installed, 'npm ci --omit=dev', 420_000)]);
  for (const entry of Object.values(ENTRY_POINTS)) expect(fs.existsSync(path.join(app, 'dist', entry))).toBe(true);

  // No package npm marks dev-only is there to be loaded by accident (tsx, PGlite, smtp-server, typescript...).
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  const devOnly = Object.entries(lock.packages)
    .filter(([key, p]) => key.startsWith('node_modules/') && (p.dev || p.devOptional))
    .map(([key]) => key);
  expect(devOnly).toEqual(expect.arrayContaining(['node_modules/tsx', 'node_modules/@electric-sql/pglite']));
  expect(devOnly.filter((key) => fs.existsSync(path.join(app, key)))).toEqual([]);

  const node = resolveNodeLts();
  expect(spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe(`v${NODE_LTS_VERSION}`);

  dbName = `orderly_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(base!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${dbName}`);
  await admin.end();
  const url = new URL(base!);
  url.pathname = `/${dbName}`;
  const mail = await startTestSmtp();
  smtp = mail;
  const port = await freePort();
  const env = {
    PATH: path.dirname(node),
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: url.toString(),
    TEMPORAL_ADDRESS: process.env.ORDERLY_TEST_TEMPORAL_ADDRESS!,
    TASK_QUEUE: `prod-${randomUUID()}`,
    HOST: '127.0.0.1',
    PORT: String(port),
    SMTP_URL: mail.url,
    AUTH_JWT_SECRET: randomBytes(24).toString('hex'),
    PAYMENT_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
    PAYLOAD_KEYS: `build-test:${randomBytes(32).toString('base64')}`,
  };
  const dist = (entry: keyof typeof ENTRY_POINTS) => path.join('dist', ENTRY_POINTS[entry]);
  const runDist = (entry: keyof typeof ENTRY_POINTS, args: string[] = []) => {
    const p = run(node, [dist(entry), ...args], { cwd: app, env });
    running.push(p);
    return p;
  };

  // Migrations are found from dist/ (a fresh database), then the demo catalog loads.
  expect(await succeeded(runDist('migrate'), 'migrate', 60_000)).toContain('migrations applied');
  expect(await succeeded(runDist('seed'), 'seed', 60_000)).toContain('demo catalog loaded');
  const token = (await succeeded(runDist('token', ['--role', 'customer']), 'token', 30_000)).trim();

  const api = runDist('api');
  const worker = runDist('worker');
  const http = `http://127.0.0.1:${port}`;
  const ready = await waitFor(
    'GET /ready answering 200',
    () =>
      fetch(`${http}/ready`).then(
        (r) => r.status,
        () => 0,
      ),
    (status) => status === 200 || api.child.exitCode !== null || worker.child.exitCode !== null,
    120_000,
  ).catch((err: Error) => err.message);
  expect({ ready, api: api.child.exitCode, worker: worker.child.exitCode }).toEqual({
    ready: 200,
    api: null,
    worker: null,
  });
  expect(worker.output()).toContain('workflow-bundle.js');

  const call = async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${http}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const listing = await call('GET', '/products?limit=1&inStock=true');
  const productId = (listing.body.items as { id: string }[])[0]!.id;
  const cart = await call('POST', '/carts');
  expect(cart.status).toBe(201);
  const cartId = cart.body.id as string;
  expect((await call('POST', `/carts/${cartId}/items`, { productId, quantity: 1 })).status).toBe(200);
  const checkout = await call(
    'POST',
    '/checkout',
    {
      cartId,
      email: 'ada@example.com',
      shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
      payment: { method: 'card', token: 'tok_visa' },
    },
    { 'idempotency-key': `prod-${randomUUID()}` },
  );
  expect(checkout.status).toBe(202);
  const orderId = checkout.body.orderId as string;
  const order = await waitFor(
    `order ${orderId} confirmed`,
    () => call('GET', `/orders/${orderId}`),
    (r) => r.status === 200 && r.body.status !== 'pending' && r.body.status !== 'awaiting_payment',
    60_000,
  );
  expect({ status: order.body.status, paymentState: order.body.paymentState }).toEqual({
    status: 'confirmed',
    paymentState: 'captured',
  });
  await waitFor(
    'the confirmation email',
    async () => mail.for(orderId).length,
    (n) => n >= 1,
    60_000,
  );
  expect(mail.for(orderId).map((m) => m.to)).toEqual([['ada@example.com']]);

  api.child.kill('SIGTERM');
  worker.child.kill('SIGTERM');
  expect(await succeeded(api, 'the API after SIGTERM', 30_000)).toContain('api stopped');
  expect(await succeeded(worker, 'the worker after SIGTERM', 30_000)).toContain('worker stopped');
});
