/**
 * Bad configuration never starts a process: loadConfig names every bad variable, and the real entry points
 * exit 1 saying which variable (or the port, or the missing DATABASE_URL) is the problem.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { PortInUseError, serveApi } from '../../api/main';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createTestDb } from '../support/db';

const root = path.resolve(__dirname, '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

/** Runs an entry point with exactly this environment (plus PATH), returning its exit code and output. */
function run(
  file: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [file], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => p.name).sort();
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test('defaults give a working development config', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ env: 'development', port: 3000, host: '127.0.0.1', databaseUrl: undefined });
    expect(config.temporal).toMatchObject({
      address: undefined,
      namespace: 'default',
      taskQueue: 'checkout',
      port: 7233,
      uiPort: 8233,
    });
    expect(config.auth.jwtSecret.length).toBeGreaterThanOrEqual(32);
  });

  test('every bad variable is named at once, not only the first', () => {
    expect(
      problemsOf({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'not a url',
        TEMPORAL_ADDRESS: 'localhost',
        PAYMENT_CONFIRMATION_TIMEOUT: '15 minutes',
        AUTH_JWT_SECRET: 'short',
        TEMPORAL_UI_PORT: '70000',
      }),
    ).toEqual([
      'AUTH_JWT_SECRET',
      'DATABASE_URL',
      'LOG_LEVEL',
      'PAYMENT_CONFIRMATION_TIMEOUT',
      'PORT',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_UI_PORT',
    ]);
  });

  test('production refuses to start on the development secrets', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'AUTH_JWT_SECRET',
      'PAYLOAD_KEYS',
      'PAYMENT_WEBHOOK_SECRET',
    ]);
    const config = loadConfig({
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'x'.repeat(40),
      PAYMENT_WEBHOOK_SECRET: 'y'.repeat(20),
      PAYLOAD_KEYS: `k1:${'A'.repeat(43)}=`,
    });
    expect(config.auth.jwtSecret).toBe('x'.repeat(40));
  });

  test('worker tuning: slots and sticky cache size come from the environment, bad values are named', () => {
    expect(
      loadConfig({
        WORKER_ACTIVITY_SLOTS: '20',
        WORKER_WORKFLOW_TASK_SLOTS: '8',
        WORKER_LOCAL_ACTIVITY_SLOTS: '5',
        WORKER_STICKY_CACHE_SIZE: '0',
      }).worker,
    ).toEqual({
      maxConcurrentActivityTaskExecutions: 20,
      maxConcurrentWorkflowTaskExecutions: 8,
      maxConcurrentLocalActivityExecutions: 5,
      maxCachedWorkflows: 0,
    });
    expect(
      problemsOf({
        WORKER_ACTIVITY_SLOTS: '0',
        WORKER_WORKFLOW_TASK_SLOTS: '1',
        WORKER_LOCAL_ACTIVITY_SLOTS: 'many',
        WORKER_STICKY_CACHE_SIZE: '-1',
      }),
    ).toEqual([
      'WORKER_ACTIVITY_SLOTS',
      'WORKER_LOCAL_ACTIVITY_SLOTS',
      'WORKER_STICKY_CACHE_SIZE',
      'WORKER_WORKFLOW_TASK_SLOTS',
    ]);
    // The SDK would only warn and lower the slots to the cache size.
    expect(problemsOf({ WORKER_WORKFLOW_TASK_SLOTS: '50', WORKER_STICKY_CACHE_SIZE: '20' })).toEqual([
      'WORKER_WORKFLOW_TASK_SLOTS',
    ]);
  });

  test('empty optional URLs count as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', SMTP_URL: '', TEMPORAL_ADDRESS: '' })).toMatchObject({
      databaseUrl: undefined,
      smtp: { url: undefined },
    });
  });
});

describe('entry points', () => {
  jest.setTimeout(120_000);

  test('the api exits 1 naming each bad variable', async () => {
    const r = await run('api/main.ts', {
      PORT: 'abc',
      LOG_LEVEL: 'shouty',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid configuration');
    expect(r.stderr).toMatch(/^\s+PORT: /m);
    expect(r.stderr).toMatch(/^\s+LOG_LEVEL: /m);
  });

  test('the api and the worker refuse to start without DATABASE_URL and say why', async () => {
    for (const [file, name] of [
      ['api/main.ts', 'api'],
      ['workers/main.ts', 'worker'],
    ]) {
      const r = await run(file!, {});
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${name}: DATABASE_URL is not set`);
      expect(r.stderr).toContain('PGlite cannot be shared between processes');
    }
  });

  test('a production worker without SMTP_URL refuses to start rather than drop every email', async () => {
    const r = await run('workers/main.ts', {
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'x'.repeat(40),
      PAYMENT_WEBHOOK_SECRET: 'y'.repeat(20),
      PAYLOAD_KEYS: `k1:${'A'.repeat(43)}=`,
      DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('worker: SMTP_URL is not set');
  });

  test('the worker also exits 1 naming a bad variable', async () => {
    const r = await run('workers/main.ts', { TASK_QUEUE: '', NODE_ENV: 'staging' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\s+TASK_QUEUE: /m);
    expect(r.stderr).toMatch(/^\s+NODE_ENV: /m);
  });
});

/** Something listening on a loopback port, to collide with. */
async function occupy(): Promise<{ port: number; close(): Promise<void> }> {
  const srv = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) };
}

describe('a port that is already taken', () => {
  test('serveApi refuses with a message naming the port and PORT', async () => {
    const taken = await occupy();
    const connection = Connection.lazy({ address: process.env.ORDERLY_TEST_TEMPORAL_ADDRESS! });
    const db = await createTestDb();
    try {
      const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
      const app = createApp({
        db: db.db,
        temporal: new Client({ connection }),
        config,
        log: createLogger('silent'),
        clock: () => new Date(),
      });
      const attempt = serveApi(app, { host: '127.0.0.1', port: taken.port, log: createLogger('silent') });
      await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
      await expect(attempt).rejects.toThrow(new RegExp(`port ${taken.port} .*set PORT`));
    } finally {
      await taken.close();
      await connection.close();
      await db.close();
    }
  });

  const onPostgres = process.env.DATABASE_URL ? test : test.skip;
  onPostgres('the api process exits 1 with that message', async () => {
    const taken = await occupy();
    const db = await createTestDb();
    try {
      const r = await run('api/main.ts', {
        DATABASE_URL: db.url!,
        PORT: String(taken.port),
        TEMPORAL_ADDRESS: process.env.ORDERLY_TEST_TEMPORAL_ADDRESS!,
        LOG_LEVEL: 'warn',
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`port ${taken.port} on 127.0.0.1 is already in use`);
      expect(r.stderr).toContain('set PORT');
    } finally {
      await taken.close();
      await db.close();
    }
  });
});

test('the configuration table in docs/configuration.md lists exactly the variables lib/config.ts reads', () => {
  const page = fs.readFileSync(path.join(root, 'docs', 'configuration.md'), 'utf8');
  const start = page.indexOf('| Variable | Default | Meaning |');
  expect(start).toBeGreaterThanOrEqual(0);
  const table = page.slice(start, page.indexOf('\n\n', start));
  const listed = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
  expect([...listed].sort()).toEqual([...CONFIG_VARIABLES].sort());
});
