/**
 * `make cluster` as a user runs it: it prints every URL and a token pair that works through the balancer, and
 * Ctrl-C stops everything it started, leaving no process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { dropDatabases, preparePostgres } from '../../scripts/cluster/postgres';
import { provisionTools } from '../../scripts/cluster/tools';
import { waitFor } from '../support/wait';
import { processesWithMarker, testClusterOptions } from './support';

const root = path.resolve(__dirname, '..', '..');

let child: ChildProcess | undefined;
let dropAfter: (() => Promise<void>) | undefined;
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await dropAfter?.();
});

test('make cluster prints URLs and tokens, and Ctrl-C leaves no process behind', async () => {
  provisionTools();
  const o = await testClusterOptions();
  // The run's databases go whether the test passes or not.
  dropAfter = async () => {
    const pg = await preparePostgres({ url: `postgres://orderly:orderly@127.0.0.1:5432/${o.database}` });
    await dropDatabases(pg, [o.database!, o.temporalDatabasePrefix!, `${o.temporalDatabasePrefix}_visibility`]);
  };
  const marker = `ORDERLY_CLUSTER_TEST_MARK=${randomUUID()}`;
  const [markName, markValue] = marker.split('=') as [string, string];
  child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/cluster/main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      [markName]: markValue,
      PORT: String(o.port),
      TEMPORAL_PORT: String(o.temporalPort),
      TEMPORAL_UI_PORT: String(o.uiPort),
      MAILPIT_PORT: String(o.mailpitPort),
      MAILPIT_SMTP_PORT: String(o.smtpPort),
      PROMETHEUS_PORT: String(o.prometheusPort),
      API_REPLICAS: '1',
      WORKER_REPLICAS: '1',
      DATA_DIR: o.dataDir,
      DATABASE_URL: `postgres://orderly:orderly@127.0.0.1:5432/${o.database}`,
      TEMPORAL_DATABASE: o.temporalDatabasePrefix,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

  const banner = await waitFor(
    'make cluster to print its banner, or to exit',
    async () => ({ up: /Customer token\s+\S+/.test(stdout), exited: child!.exitCode !== null }),
    (s) => s.up || s.exited,
    300_000,
  );
  if (!banner.up) throw new Error(`make cluster exited before it came up:\n${stdout}\n${stderr}`);
  for (const label of [
    'API',
    'API docs',
    'Ready',
    'Temporal Web UI',
    'Temporal',
    'Mail inbox',
    'Prometheus',
    'Admin token',
  ])
    expect(stdout).toMatch(new RegExp(`^  ${label}\\s+\\S`, 'm'));
  const token = /Customer token\s+(\S+)/.exec(stdout)![1]!;
  const api = `http://localhost:${o.port}`;
  const orders = await fetch(`${api}/orders`, { headers: { authorization: `Bearer ${token}` } });
  expect(orders.status).toBe(200);
  expect((await fetch(`http://127.0.0.1:${o.uiPort}/`)).status).toBe(200);
  expect((await fetch(`http://127.0.0.1:${o.prometheusPort}/-/ready`)).status).toBe(200);
  expect((await fetch(`http://127.0.0.1:${o.mailpitPort}/api/v1/messages`)).status).toBe(200);
  // The runner, tsx's loader and everything it started: server, UI, Mailpit, HAProxy, an API and a worker.
  expect(processesWithMarker(marker).length).toBeGreaterThanOrEqual(7);

  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(processesWithMarker(marker)).toEqual([]);
  expect(stderr).toMatch(/stopped/);
}, 400_000);
