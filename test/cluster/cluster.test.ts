/**
 * The production topology, started for real: a checkout through HAProxy confirms on a Temporal server that keeps
 * its state and visibility in PostgreSQL, Prometheus scrapes every replica with the alert rules loaded, and losing
 * every worker costs no reads and no accepted checkout.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mintToken } from '../../api/auth';
import fs from 'node:fs';
import { startCluster, type Cluster } from '../../scripts/cluster/cluster';
import { deployPath } from '../../scripts/cluster/config';
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

test('the checkout rate limit is one across API replicas: used up on both, refused through HAProxy', async () => {
  const token = await mintToken(cluster.options.jwtSecret, { sub: randomUUID(), role: 'customer' });
  // Without an Idempotency-Key a checkout is a 400 that starts nothing, but the limit counts it first.
  const attempt = (base: string) =>
    fetch(`${base}/checkout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(15_000),
    });
  const limit = 10; // RATE_LIMIT_CHECKOUT's default, 10/1m
  const seen: [number, string | null][] = [];
  for (let i = 0; i < limit; i += 1) {
    const res = await attempt(cluster.apis[i % 2]!.url);
    seen.push([res.status, res.headers.get('ratelimit')]);
  }
  expect(seen.map(([status]) => status)).toEqual(Array(limit).fill(400));
  // Each replica reports what is left of the one shared count.
  expect(seen.map(([, field]) => /;r=(\d+);/.exec(field ?? '')?.[1])).toEqual(
    Array.from({ length: limit }, (_, i) => String(limit - 1 - i)),
  );
  const refused = await attempt(cluster.urls.api);
  expect(refused.status).toBe(429);
  expect(refused.headers.get('content-type')).toBe('application/problem+json');
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(refused.headers.get('ratelimit-policy')).toBe('"checkout";q=10;w=60');
});

interface PromTarget {
  labels: { job: string; replica?: string };
  health: string;
  lastError: string;
}

test('Prometheus scrapes every API and worker replica, each worker SDK and the Temporal server, all up', async () => {
  const expected = [
    ...cluster.apis.map((a) => `orderly-api/${a.name}`),
    ...cluster.workers.map((w) => `orderly-worker/${w.name}`),
    ...cluster.workers.map((w) => `temporal-sdk/${w.name}`),
    'temporal-server/temporal',
  ].sort();
  const targets = await waitFor(
    'every Prometheus target up',
    async () => {
      const res = await fetch(`${cluster.urls.prometheus}/api/v1/targets?state=active`);
      const body = (await res.json()) as { data: { activeTargets: PromTarget[] } };
      return body.data.activeTargets;
    },
    (ts) => ts.length === expected.length && ts.every((t) => t.health === 'up'),
    60_000,
  );
  expect(targets.map((t) => `${t.labels.job}/${t.labels.replica}`).sort()).toEqual(expected);

  // The checkout above is in the scraped data: the API counted it, a worker confirmed it.
  const query = async (q: string) => {
    const res = await fetch(`${cluster.urls.prometheus}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
    return Number(body.data.result[0]?.value[1] ?? 0);
  };
  await waitFor(
    'the checkout in Prometheus',
    () => query('sum(orderly_checkouts_accepted_total)'),
    (n) => n >= 1,
  );
  await waitFor(
    'the confirmation in Prometheus',
    () => query('sum(orderly_orders_confirmed_total)'),
    (n) => n >= 1,
  );
  // One workflow task poller per worker (the Temporal server's own system workers report theirs as job temporal-server).
  const pollers =
    'count(temporal_num_pollers{job="temporal-sdk", poller_type="workflow_task", task_queue="checkout"} > 0)';
  expect(await query(pollers)).toBe(cluster.workers.length);
});

test('Prometheus has loaded every alert rule of deploy/prometheus/alerts.yml, none firing', async () => {
  const rules = fs.readFileSync(deployPath('prometheusRules'), 'utf8');
  const names = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]).sort();
  expect(names.length).toBeGreaterThan(5);
  const res = await fetch(`${cluster.urls.prometheus}/api/v1/rules?type=alert`);
  const body = (await res.json()) as {
    data: { groups: { rules: { name: string; health: string; state: string }[] }[] };
  };
  const loaded = body.data.groups.flatMap((g) => g.rules);
  expect(loaded.map((r) => r.name).sort()).toEqual(names);
  for (const r of loaded) {
    expect({ rule: r.name, health: r.health }).not.toEqual({ rule: r.name, health: 'err' });
    expect({ rule: r.name, state: r.state }).not.toEqual({ rule: r.name, state: 'firing' });
  }
});

test('each replica serves /metrics; the load balancer refuses it from outside', async () => {
  for (const api of cluster.apis) expect((await fetch(`${api.url}/metrics`)).status).toBe(200);
  const outside = await fetch(`${cluster.urls.api}/metrics`);
  expect(outside.status).toBe(404);
  expect(outside.headers.get('content-type')).toBe('application/problem+json');
  await outside.text();
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
  // Search attributes are never encoded (they are indexed; security.md), nor is a local activity marker's data,
  // which the SDK's core writes (the step's name, attempt and times; docs/checkout.md): every other payload must be.
  const raw = JSON.stringify(JSON.parse(show()), (key, value: unknown) => {
    if (key === 'searchAttributes') return undefined;
    if (key !== 'markerRecordedEventAttributes') return value;
    const marker = value as { markerName?: string; details?: Record<string, unknown> };
    if (marker.markerName !== 'core_local_activity') return value;
    return { ...marker, details: { ...marker.details, data: undefined } };
  });
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
