/**
 * Tracing end to end on a real Temporal dev server, database and SMTP server, with spans kept in memory: one checkout
 * is one trace from the HTTP span through the workflow and its activities down to SQL and SMTP, a traced run still
 * replays, and a request's log lines carry its request id and trace id.
 */
import { Writable } from 'node:stream';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { SpanKind } from '@opentelemetry/api';
import { Worker } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { checkoutWorkflowId } from '../../contract';
import { loadConfig } from '../../lib/config';
import { createLogger, logFormatFor } from '../../lib/logger';
import { startTracing, type Tracing } from '../../lib/tracing';
import { replayOptions } from '../../workers/worker';
import { startHarness, type Harness } from '../support/harness';
import { startTestSmtp, type TestSmtp } from '../support/smtp';
import { waitFor } from '../support/wait';
import {
  checkoutBody,
  checkoutHandle,
  postCheckout,
  seedCart,
  seedProduct,
  shopper,
  waitForStatus,
  waitForWorkflowDone,
} from '../checkout/helpers';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let smtp: TestSmtp;
let h: Harness;
const book = new Map<string, number>();

beforeAll(async () => {
  tracing = startTracing({ serviceName: 'orderly-test', processor: new SimpleSpanProcessor(exporter) })!;
  smtp = await startTestSmtp();
  h = await startHarness({ tracing, env: { SMTP_URL: smtp.url, CANCELLATION_WINDOW: '1s' } });
});

afterAll(async () => {
  await h?.close();
  await smtp?.stop();
  await tracing?.shutdown();
});

const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);

/** The one span named `name` in `spans`. */
function one(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = named(spans, name);
  expect({ name, count: found.length }).toEqual({ name, count: 1 });
  return found[0]!;
}

test('a checkout is one trace: HTTP, the Temporal client, the workflow, every activity, SQL and SMTP', async () => {
  const who = await shopper(h);
  const productId = await seedProduct(h, book, { stock: 5 });
  const cartId = await seedCart(h, who.id, [{ productId, quantity: 1 }]);
  const res = await postCheckout(h, who, checkoutBody(cartId));
  expect(res.status).toBe(202);
  const orderId = res.body.orderId as string;
  await waitForStatus(h, orderId, ['confirmed']);
  await waitForWorkflowDone(h, orderId);
  // Workflow spans leave through a sink after the workflow task that ends them: the run's span comes last.
  await waitFor(
    "the workflow run's span",
    async () => named(exporter.getFinishedSpans(), 'RunWorkflow:checkout').length,
    (n) => n > 0,
  );

  const http = one(
    exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER),
    'POST /checkout',
  );
  expect(http.parentSpanId).toBeUndefined();
  expect(http.attributes['http.route']).toBe('/checkout');
  const traceId = http.spanContext().traceId;
  // The confirmation email is the last thing the checkout does; its span ends after the SMTP server's 250.
  await waitFor(
    'the SMTP span of the confirmation',
    async () => named(spansOf(traceId), 'smtp send').length,
    (n) => n > 0,
  );
  const spans = spansOf(traceId);
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const parentOf = (s: ReadableSpan) => byId.get(s.parentSpanId ?? '');

  // Every span but the HTTP one hangs off another span of the same trace.
  const orphans = spans.filter((s) => s !== http && !parentOf(s)).map((s) => s.name);
  expect(orphans).toEqual([]);

  const start = one(spans, 'StartWorkflow:checkout');
  expect(parentOf(start)).toBe(http);
  const run = one(spans, 'RunWorkflow:checkout');
  expect(parentOf(run)).toBe(start);

  // Each activity the workflow ran: scheduled under the run, executed under its scheduling span.
  const executed = spans.filter((s) => s.name.startsWith('RunActivity:'));
  expect(executed.map((s) => s.name)).toEqual(
    expect.arrayContaining(['RunActivity:createOrder', 'RunActivity:reserveInventory', 'RunActivity:confirmOrder']),
  );
  for (const act of executed) {
    const scheduled = parentOf(act)!;
    expect({ act: act.name, parent: scheduled.name }).toEqual({
      act: act.name,
      parent: act.name.replace('RunActivity:', 'StartActivity:'),
    });
    // The run itself or a workflow it started (the notification's own workflow) scheduled it.
    let up = parentOf(scheduled);
    while (up && up !== run) up = parentOf(up);
    expect({ act: act.name, underRun: up === run }).toEqual({ act: act.name, underRun: true });
  }

  // SQL: the API's own statements under the HTTP span, the activities' under theirs.
  const sql = spans.filter((s) => s.attributes['db.system'] === 'postgresql');
  expect(sql.some((s) => parentOf(s) === http)).toBe(true);
  const create = one(spans, 'RunActivity:createOrder');
  const created = sql.filter((s) => parentOf(s) === create).map((s) => String(s.attributes['db.statement']));
  expect(created.some((text) => /insert into "orders"/i.test(text))).toBe(true);
  for (const s of sql) expect(String(s.attributes['db.statement'])).not.toContain('ada@example.com');

  // SMTP: under the activity that sent the email.
  const send = one(spans, 'smtp send');
  expect(parentOf(send)!.name).toMatch(/^RunActivity:/);
  expect(send.attributes['orderly.order_id']).toBe(orderId);
  expect(smtp.for(orderId).length).toBeGreaterThan(0);

  // The traced run replays against the same bundle: the interceptors changed no command.
  const history = await checkoutHandle(h, orderId).fetchHistory();
  await Worker.runReplayHistory(replayOptions(h.config.payloadKeys, process.env.ORDERLY_WORKFLOW_BUNDLE!), history);
});

/** A logger whose JSON lines are kept, as the API process writes them. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, log: createLogger('info', 'api', { destination }) };
}

test("a request's log lines carry its request id, trace id and, on checkout, the order and workflow ids", async () => {
  const { lines, log } = capturedLogger();
  const app = createApp({ db: h.db.db, temporal: h.client, config: h.config, log, clock: () => new Date(), tracing });
  const productId = await seedProduct(h, book, { stock: 5 });

  // A caller's request id is kept (hono/request-id), so a client can find its own request's lines.
  const requestId = 'req-product-1';
  const got = await app.request(`/products/${productId}`, { headers: { 'x-request-id': requestId } });
  expect(got.status).toBe(200);
  const http = one(
    exporter.getFinishedSpans().filter((s) => s.attributes['http.route'] === '/products/:id'),
    'GET /products/:id',
  );
  const line = lines.find((l) => l.requestId === requestId && l.msg === 'request completed');
  expect(line).toMatchObject({
    requestId,
    trace_id: http.spanContext().traceId,
    span_id: http.spanContext().spanId,
    req: { method: 'GET', route: '/products/:id', url: `/products/${productId}` },
    res: { statusCode: 200 },
  });
  expect(typeof line!.responseTime).toBe('number');

  const who = await shopper(h);
  const cartId = await seedCart(h, who.id, [{ productId, quantity: 1 }]);
  const res = await app.request('/checkout', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${who.token}`,
      'content-type': 'application/json',
      'idempotency-key': 'k-1',
      'x-request-id': 'req-checkout-1',
    },
    body: JSON.stringify(checkoutBody(cartId)),
  });
  expect(res.status).toBe(202);
  const { orderId } = (await res.json()) as { orderId: string };
  const checkoutRequest = 'req-checkout-1';
  expect(res.headers.get('x-request-id')).toBe(checkoutRequest);
  const ofCheckout = lines.filter((l) => l.requestId === checkoutRequest);
  expect(ofCheckout.map((l) => l.msg)).toEqual(['checkout accepted', 'request completed']);
  const traceId = ofCheckout[0]!.trace_id;
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  for (const l of ofCheckout)
    expect(l).toMatchObject({
      orderId,
      workflowId: checkoutWorkflowId(orderId),
      trace_id: traceId,
      requestId: checkoutRequest,
    });
  await waitForStatus(h, orderId, ['confirmed']);
});

test("a caller's traceparent is continued, and its sampling decision kept", async () => {
  const app = createApp({
    db: h.db.db,
    temporal: h.client,
    config: h.config,
    log: capturedLogger().log,
    clock: () => new Date(),
    tracing,
  });
  const productId = await seedProduct(h, book, { stock: 5 });
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parent = '00f067aa0ba902b7';
  expect(
    (await app.request(`/products/${productId}`, { headers: { traceparent: `00-${traceId}-${parent}-01` } })).status,
  ).toBe(200);
  const span = one(spansOf(traceId), 'GET /products/:id');
  expect(span.parentSpanId).toBe(parent);
  expect(span.attributes).toMatchObject({ 'http.route': '/products/:id', 'http.response.status_code': 200 });
  // Not sampled by the caller: no span recorded, whatever the ratio.
  const unsampled = 'aaf92f3577b34da6a3ce929d0e0e4736';
  await app.request(`/products/${productId}`, { headers: { traceparent: `00-${unsampled}-${parent}-00` } });
  expect(spansOf(unsampled)).toEqual([]);
});

test('an app without tracing makes no spans, and its log lines carry no trace id', async () => {
  const { lines, log } = capturedLogger();
  const app = createApp({ db: h.db.db, temporal: h.client, config: h.config, log, clock: () => new Date() });
  const productId = await seedProduct(h, book, { stock: 5 });
  const before = exporter.getFinishedSpans().length;
  const got = await app.request(`/products/${productId}`, { headers: { 'x-request-id': 'req-untraced-1' } });
  expect(got.status).toBe(200);
  // No server span, so no SQL span under it either. (The harness's worker may finish spans of its own meanwhile:
  // only spans this request could have made count.)
  const fresh = exporter.getFinishedSpans().slice(before);
  expect(fresh.filter((s) => s.kind === SpanKind.SERVER).map((s) => s.name)).toEqual([]);
  expect(fresh.filter((s) => String(s.attributes['db.statement'] ?? '').includes('"products"'))).toEqual([]);
  const line = lines.find((l) => l.requestId === 'req-untraced-1')!;
  expect(line.msg).toBe('request completed');
  expect(line).not.toHaveProperty('trace_id');
});

test('tracing is on only with an endpoint; its sampling ratio, endpoint and log format are checked config', () => {
  expect(loadConfig({}).tracing).toEqual({ otlpEndpoint: undefined, sampleRatio: 1, serviceName: undefined });
  expect(startTracing({ serviceName: 'x' })).toBeUndefined();
  const on = loadConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    OTEL_TRACES_SAMPLER_ARG: '0.25',
    OTEL_SERVICE_NAME: 'shop-api',
  });
  expect(on.tracing).toEqual({ otlpEndpoint: 'http://127.0.0.1:4318', sampleRatio: 0.25, serviceName: 'shop-api' });
  expect(() => loadConfig({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
  expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
});

test('logs are pretty on a terminal outside production, JSON otherwise, unless LOG_FORMAT says', () => {
  expect(logFormatFor({ logFormat: 'auto', env: 'development' }, true)).toBe('pretty');
  expect(logFormatFor({ logFormat: 'auto', env: 'development' }, false)).toBe('json');
  expect(logFormatFor({ logFormat: 'auto', env: 'production' }, true)).toBe('json');
  expect(logFormatFor({ logFormat: 'json', env: 'development' }, true)).toBe('json');
  expect(logFormatFor({ logFormat: 'pretty', env: 'production' }, false)).toBe('pretty');
});
