/**
 * After real checkouts (confirmed, declined, retried, replayed) on the dev server, the API's GET /metrics, the worker's
 * business metrics server and the Temporal SDK's exporter have the series docs/observability.md names; and every
 * series the Grafana dashboard and the alert rules query is one of them.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inArray } from 'drizzle-orm';
import { parse } from 'yaml';
import { createApp } from '../../api/app';
import { orders } from '../../db/schema';
import { loadConfig } from '../../lib/config';
import { SCRAPE_JOBS } from '../../scripts/cluster/prometheus';
import { freePort } from '../../scripts/temporal-dev-server';
import { installTemporalRuntime, startWorker, type RunningWorker } from '../../workers/main';
import { startHarness, type Harness } from '../support/harness';
import { testLogger } from '../support/logs';
import { waitForSuccess } from '../support/wait';
import {
  checkoutBody,
  postCheckout,
  seedCart,
  seedProduct,
  shopper,
  waitFor,
  waitForStatus,
  type StockBook,
} from '../checkout/helpers';
import { promqlMetricNames, seriesNames, total } from './series';

const root = path.resolve(__dirname, '..', '..');
let h: Harness;
let worker: RunningWorker;
let sdkUrl: string;
const book: StockBook = new Map();
const pages: Record<'api' | 'worker' | 'sdk', string> = { api: '', worker: '', sdk: '' };

async function text(url: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.text();
}

const apiMetrics = async () => {
  const res = await h.call('GET', '/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.body as string;
};

beforeAll(async () => {
  const log = testLogger();
  const sdkPort = await freePort();
  // The SDK runtime is per process: install it with its exporter before the harness would install the plain one.
  installTemporalRuntime(log, { host: '127.0.0.1', metrics: { enabled: true, workerPort: 0, sdkPort } });
  sdkUrl = `http://127.0.0.1:${sdkPort}/metrics`;
  h = await startHarness({ worker: false, env: { WORKER_METRICS_PORT: '0' } });
  worker = await startWorker({
    config: h.config,
    db: h.db.db,
    log,
    workflowBundlePath: process.env.ORDERLY_WORKFLOW_BUNDLE,
  });

  const product = await seedProduct(h, book, { stock: 50 });
  const order = async (token: string, status: string) => {
    const who = await shopper(h);
    const key = randomUUID();
    const body = checkoutBody(await seedCart(h, who.id, [{ productId: product, quantity: 1 }]), token);
    const res = await postCheckout(h, who, body, key);
    expect(res.status).toBe(202);
    await waitForStatus(h, res.body.orderId, [status]);
    return { who, key, body };
  };
  const first = await order('tok_visa', 'confirmed');
  // The same key and body again: an idempotent replay.
  expect((await postCheckout(h, first.who, first.body, first.key)).status).toBe(200);
  await order('tok_chargeDeclined', 'failed');
  await order('tok_flaky', 'confirmed');

  const url = worker.metrics!.url;
  // The confirmation email goes out after the order is confirmed: wait for it on the worker's page.
  pages.worker = await waitFor(
    'the confirmation emails on the worker metrics',
    () => text(url),
    (t) => total(t, 'orderly_notifications_sent_total', 'channel="email"', 'kind="order_confirmed"') >= 2,
  );
  pages.api = await apiMetrics();
  pages.sdk = await waitForSuccess('the SDK exporter', () => text(sdkUrl));
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

test('the API counts requests by route template and status, accepted checkouts and replays', () => {
  const page = pages.api;
  expect(total(page, 'orderly_checkouts_accepted_total')).toBeGreaterThanOrEqual(3);
  expect(total(page, 'orderly_checkout_idempotent_replays_total')).toBeGreaterThanOrEqual(1);
  expect(
    total(page, 'orderly_http_request_duration_seconds_count', 'route="/checkout"', 'status="202"', 'method="POST"'),
  ).toBeGreaterThanOrEqual(3);
  expect(total(page, 'orderly_http_request_duration_seconds_count', 'route="/checkout"', 'status="200"')).toBe(1);
  // Route templates only: no id ever becomes a label value.
  expect(page).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  for (const name of ['orderly_http_rate_limited_total', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds'])
    expect(page).toContain(`# TYPE ${name}`);
});

test('a URL no route matches is one series, not one per URL', async () => {
  for (const p of ['/nope/1', '/nope/2']) expect((await h.call('GET', p)).status).toBe(404);
  const page = await apiMetrics();
  expect(total(page, 'orderly_http_request_duration_seconds_count', 'route="unmatched"', 'status="404"')).toBe(2);
  expect(page).not.toContain('/nope');
});

test('METRICS_ENABLED=false serves no /metrics and times no request', async () => {
  const config = loadConfig({ NODE_ENV: 'test', METRICS_ENABLED: 'false' });
  const app = createApp({ db: h.db.db, temporal: h.client, config, log: testLogger(), clock: () => new Date() });
  const before = total(await apiMetrics(), 'orderly_http_request_duration_seconds_count', 'route="/health"');
  expect((await app.request('/health')).status).toBe(200);
  expect((await app.request('/metrics')).status).toBe(404);
  const after = total(await apiMetrics(), 'orderly_http_request_duration_seconds_count', 'route="/health"');
  expect(after).toBe(before);
});

test('the worker counts confirmed and failed orders, compensations, payment retries, emails and durations', () => {
  const page = pages.worker;
  expect(total(page, 'orderly_orders_confirmed_total')).toBe(2);
  expect(total(page, 'orderly_orders_failed_total', 'reason="payment_declined"')).toBe(1);
  expect(total(page, 'orderly_compensations_total', 'compensation="closeOrder"')).toBe(1);
  expect(total(page, 'orderly_compensations_total', 'compensation="releaseInventory"')).toBe(1);
  expect(total(page, 'orderly_compensations_failed_total')).toBe(0);
  // tok_flaky answers 503 twice before it authorizes.
  expect(total(page, 'orderly_payment_retries_total', 'activity="authorizePayment"')).toBe(2);
  expect(total(page, 'orderly_notifications_sent_total', 'channel="email"', 'kind="payment_failed"')).toBe(1);
  expect(total(page, 'orderly_checkout_duration_seconds_count', 'outcome="confirmed"')).toBe(2);
  expect(total(page, 'orderly_checkout_duration_seconds_count', 'outcome="failed"')).toBe(1);
  expect(total(page, 'orderly_orders_awaiting_payment_overdue')).toBe(0);
  for (const name of ['orderly_notifications_failed_total', 'orderly_orders_cancelled_total'])
    expect(page).toContain(`# TYPE ${name}`);
});

test('an order awaiting payment past PAYMENT_CONFIRMATION_TIMEOUT shows on the overdue gauge', async () => {
  const row = (id: string, minutesAgo: number) => ({
    id,
    customerId: randomUUID(),
    email: 'late@example.com',
    status: 'awaiting_payment' as const,
    currency: 'EUR',
    totalCents: 100,
    shippingAddress: {},
    idempotencyKey: id,
    requestHash: 'h',
    workflowId: `checkout-${id}`,
    createdAt: new Date(Date.now() - minutesAgo * 60_000),
  });
  // The default timeout is 15 minutes: one order is past it, the other is not yet.
  const [late, recent] = [randomUUID(), randomUUID()];
  await h.db.db.insert(orders).values([row(late, 16), row(recent, 14)]);
  try {
    expect(total(await text(worker.metrics!.url), 'orderly_orders_awaiting_payment_overdue')).toBe(1);
  } finally {
    await h.db.db.delete(orders).where(inArray(orders.id, [late, recent]));
  }
});

test('the Temporal SDK exports its own metrics, named the Prometheus way', () => {
  const names = seriesNames(pages.sdk);
  for (const name of [
    'temporal_workflow_task_schedule_to_start_latency_seconds_bucket',
    'temporal_workflow_task_execution_latency_seconds_bucket',
    'temporal_activity_execution_latency_seconds_bucket',
    'temporal_num_pollers',
  ])
    expect({ name, present: names.has(name) }).toEqual({ name, present: true });
});

/** Every series any page above has. */
function knownSeries(): Set<string> {
  return new Set([...seriesNames(pages.api), ...seriesNames(pages.worker), ...seriesNames(pages.sdk)]);
}

function expectKnown(where: string, exprs: string[]): void {
  const known = knownSeries();
  expect(exprs.length).toBeGreaterThan(0);
  for (const expr of exprs) {
    const names = promqlMetricNames(expr);
    expect({ where, expr, names: names.length > 0 }).toEqual({ where, expr, names: true });
    const unknown = names.filter((n) => !known.has(n));
    // A job named in a selector is one Prometheus scrapes (make cluster and compose name them alike).
    for (const [, job] of expr.matchAll(/job="([^"]+)"/g))
      expect({ where, job, scraped: (SCRAPE_JOBS as readonly string[]).includes(job!) }).toEqual({
        where,
        job,
        scraped: true,
      });
    expect({ where, expr, unknown }).toEqual({ where, expr, unknown: [] });
  }
}

interface Panel {
  title?: string;
  type?: string;
  targets?: { expr?: string; datasource?: unknown }[];
  panels?: Panel[];
}

test('every query of the Grafana dashboard names series that exist', () => {
  const file = path.join(root, 'deploy/grafana/dashboards/orderly.json');
  const dashboard = JSON.parse(fs.readFileSync(file, 'utf8')) as { uid: string; title: string; panels: Panel[] };
  expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
  expect(dashboard.title).toBe('Orderly');
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
  const titles = panels.map((p) => p.title);
  for (const t of [
    'Checkout rate',
    'Success ratio',
    'p99 API latency',
    'Compensations',
    'Workflow task latency',
    'Emails',
  ])
    expect(titles).toContain(t);
  for (const panel of panels) {
    const exprs = (panel.targets ?? []).map((t) => t.expr ?? '');
    expectKnown(`panel ${panel.title}`, exprs);
  }
});

test('every alert rule names series that exist', () => {
  const rules = parse(fs.readFileSync(path.join(root, 'deploy/prometheus/alerts.yml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const all = rules.groups.flatMap((g) => g.rules);
  // `up` is Prometheus's own series for each target, not one an exporter serves.
  const exprs = all.map((r) => r.expr.replace(/\bup\b/g, 'orderly_checkouts_accepted_total'));
  expectKnown('alerts.yml', exprs);
});
