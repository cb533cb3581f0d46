/**
 * The production topology, started for real: a checkout through HAProxy confirms on a Temporal server that keeps
 * its state and visibility in PostgreSQL, and losing every worker costs no reads and no accepted checkout.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mintToken } from '../../api/auth';
import { startCluster, type Cluster } from '../../scripts/cluster/cluster';
import { dropDatabases } from '../../scripts/cluster/postgres';
import { provisionTools, type Tools } from '../../scripts/cluster/tools';
import { waitFor } from '../support/wait';
import { cartWithOneItem, checkoutBody, customer, orderReaches, testClusterOptions } from './support';

let cluster: Cluster;
let tools: Tools;

beforeAll(async () => {
  tools = provisionTools();
  cluster = await startCluster(await testClusterOptions({ tools }));
}, 600_000);

afterAll(async () => {
  if (!cluster) return;
  await cluster.stop();
  await dropDatabases(cluster.pg, [cluster.pg.database, cluster.pg.temporalDatabase, cluster.pg.visibilityDatabase]);
}, 120_000);

test('two API replicas are up behind HAProxy and two workers poll', async () => {
  const servers = await cluster.balancer.servers();
  expect(servers.map((s) => [s.name, s.status]).sort()).toEqual([
    ['api-1', 'UP'],
    ['api-2', 'UP'],
  ]);
  expect(cluster.workers.filter((w) => w.running)).toHaveLength(2);
  const ready = await fetch(`${cluster.urls.api}/ready`);
  expect(ready.status).toBe(200);
});

test('a checkout through the load balancer is confirmed', async () => {
  const c = await customer(cluster.urls.api, cluster.options.jwtSecret);
  const cartId = await cartWithOneItem(c);
  const res = await c.call('POST', '/checkout', checkoutBody(cartId), { 'Idempotency-Key': 'cluster-1' });
  expect(res.status).toBe(202);
  await orderReaches(c, res.body.orderId, 'confirmed');
});

test("payloads are encrypted with the cluster's key; the codec server decrypts for admins, and the UI knows it", async () => {
  const c = await customer(cluster.urls.api, cluster.options.jwtSecret);
  const cartId = await cartWithOneItem(c);
  const res = await c.call('POST', '/checkout', checkoutBody(cartId), { 'Idempotency-Key': 'cluster-encrypted' });
  await orderReaches(c, res.body.orderId, 'confirmed');
  const show = (...extra: string[]) =>
    execFileSync(
      tools.temporalCli,
      [
        ...['workflow', 'show', '--workflow-id', `order-${res.body.orderId}`, '--address', cluster.urls.temporal],
        ...['--output', 'json', ...extra],
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
  const raw = show();
  expect(raw).toContain(Buffer.from('binary/encrypted').toString('base64'));
  expect(raw).not.toContain(Buffer.from('json/plain').toString('base64'));
  const admin = await mintToken(cluster.options.jwtSecret, { sub: randomUUID(), role: 'admin' });
  const decoded = show('--codec-endpoint', `${cluster.urls.api}/codec`, '--codec-auth', `Bearer ${admin}`);
  expect(decoded).toContain(Buffer.from('json/plain').toString('base64'));
  // The production Web UI is given the endpoint, but it sends no token, so it is refused (docs/security.md).
  const settings = (await (await fetch(`http://127.0.0.1:${cluster.options.uiPort}/api/v1/settings`)).json()) as {
    Codec: { Endpoint: string };
  };
  expect(settings.Codec.Endpoint).toBe(`http://localhost:${cluster.options.port}/codec`);
  const fromUi = await fetch(`${cluster.urls.api}/codec/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: cluster.urls.ui },
    body: '{}',
  });
  expect(fromUi.status).toBe(401);
});

test('temporal operator cluster describe shows PostgreSQL persistence and visibility', () => {
  const out = execFileSync(
    tools.temporalCli,
    ['operator', 'cluster', 'describe', '--address', cluster.urls.temporal, '--output', 'json'],
    { encoding: 'utf8' },
  );
  const info = JSON.parse(out) as { persistenceStore: string; visibilityStore: string; historyShardCount: number };
  expect(info.persistenceStore).toBe('postgres12');
  expect(info.visibilityStore).toBe('postgres12');
  expect(info.historyShardCount).toBeGreaterThan(1);
});

test('with every worker gone, reads work and a checkout is accepted, then confirmed once a worker returns', async () => {
  await Promise.all(cluster.workers.map((w) => w.kill()));
  expect(cluster.workers.some((w) => w.running)).toBe(false);
  // Wait until the replicas themselves say no worker polls (the server keeps a poller for about a minute), so a
  // balancer that checked /ready would have taken them out by now.
  await waitFor(
    'every replica reports no polling worker',
    () => Promise.all(cluster.apis.map((a) => fetch(`${a.url}/ready`).then((r) => r.status))),
    (statuses) => statuses.every((s) => s === 503),
    150_000,
  );

  const c = await customer(cluster.urls.api, cluster.options.jwtSecret);
  // Both replicas stay in the balancer: its health check does not depend on workers.
  for (let i = 0; i < 4; i++) expect((await fetch(`${cluster.urls.api}/products`)).status).toBe(200);
  const cartId = await cartWithOneItem(c);
  const res = await c.call('POST', '/checkout', checkoutBody(cartId), { 'Idempotency-Key': 'no-workers-1' });
  expect(res.status).toBe(202);
  const pending = await c.call('GET', `/orders/${res.body.orderId}`);
  expect(pending.status).toBe(200);
  expect(pending.body.status).not.toBe('confirmed');
  expect((await cluster.balancer.servers()).map((s) => [s.status, s.check])).toEqual([
    ['UP', 'L7OK'],
    ['UP', 'L7OK'],
  ]);

  await cluster.workers[0]!.start();
  await orderReaches(c, res.body.orderId, 'confirmed');
}, 300_000);

test('a drained API replica finishes, the other serves, and it comes back', async () => {
  const [first] = cluster.apis;
  await first!.stop();
  expect(first!.proc.running).toBe(false);
  for (let i = 0; i < 4; i++) expect((await fetch(`${cluster.urls.api}/products`)).status).toBe(200);
  await first!.start();
  expect((await cluster.balancer.servers()).find((s) => s.name === first!.name)?.status).toBe('UP');
});

test('stop leaves none of the processes it started', async () => {
  const procs = [
    cluster.temporal,
    cluster.ui,
    cluster.mailpit,
    cluster.balancer.proc,
    ...cluster.workers,
    ...cluster.apis.map((a) => a.proc),
  ];
  const pids = procs.map((p) => p.pid).filter((p): p is number => p !== undefined);
  expect(pids.length).toBeGreaterThanOrEqual(7);
  await cluster.stop();
  const alive = pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  expect(alive).toEqual([]);
});
