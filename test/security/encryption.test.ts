/**
 * Personal data in Temporal is encrypted: a client without the key sees only ciphertext in a checkout's history, the
 * codec server decrypts it for admins (the API and the temporal CLI's --codec-endpoint), refuses everyone else, and
 * rotating the key keeps old histories readable while new payloads use the new key.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { createApp } from '../../api/app';
import { serveApi } from '../../api/main';
import { PAYMENT_CONFIRMED_SIGNAL, checkoutWorkflowId } from '../../contract';
import { loadConfig, type Config } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA, encryptingDataConverter } from '../../lib/payload-codec';
import { DEV_PAYLOAD_KEY } from '../../lib/payload-keys';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import { createWorker } from '../../workers/worker';
import type { Harness } from '../support/harness';
import { ROTATED_PAYLOAD_KEYS, ROTATED_TEST_KEY } from '../support/payload-keys';
import {
  checkoutBody,
  checkoutSuite,
  maybeRecordHistory,
  placeOrder,
  seedProduct,
  shopper,
  waitForStatus,
} from '../checkout/helpers';

let h: Harness;
const book = checkoutSuite({ env: { CANCELLATION_WINDOW: '1s' } }, (started) => (h = started));

/** What checkoutBody() sends that identifies the customer. */
const body = checkoutBody('x');
const PERSONAL = [body.email, body.shippingAddress.name, body.shippingAddress.line1, body.shippingAddress.postalCode];

type RawPayload = { metadata?: Record<string, Uint8Array | null> | null; data?: Uint8Array | null };
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

/** Every payload in a history with where it sits; search attributes are Temporal's index and never encoded. */
function payloadsOf(value: unknown, path = ''): { path: string; payload: RawPayload }[] {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return [];
  if (/searchAttributes$/.test(path)) return [];
  // A local activity's marker data is written by the SDK's core, not by the data converter: the step's name, attempt
  // and times, in plain JSON, so that operators can read the steps (docs/checkout.md). Its result is encrypted.
  if (/markerRecordedEventAttributes\.details\.data$/.test(path)) return [];
  const v = value as Record<string, unknown>;
  if (v.metadata && typeof v.metadata === 'object' && 'encoding' in (v.metadata as object))
    return [{ path, payload: v as RawPayload }];
  return Object.entries(v).flatMap(([k, child]) => payloadsOf(child, path ? `${path}.${k}` : k));
}

/** The history as the Temporal server stores and returns it, fetched by a client that has no codec. */
async function rawHistory(orderId: string) {
  const plain = new Client({ connection: h.client.connection, namespace: h.config.temporal.namespace });
  return plain.workflow.getHandle(checkoutWorkflowId(orderId)).fetchHistory();
}

const asJson = (payloads: RawPayload[]) => ({
  payloads: payloads.map((p) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, b]) => [k, Buffer.from(b ?? []).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  })),
});

async function confirmedOrder(token = 'tok_visa'): Promise<string> {
  const who = await shopper(h);
  const orderId = await placeOrder(h, who, await seedProduct(h, book), token);
  await waitForStatus(h, orderId, ['confirmed']);
  await h.client.workflow.getHandle(checkoutWorkflowId(orderId)).result();
  return orderId;
}

test("a checkout's history holds no personal data in the clear, and every payload names its key", async () => {
  const orderId = await confirmedOrder();
  const history = await rawHistory(orderId);
  const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
  for (const needle of PERSONAL) expect({ needle, found: bytes.includes(needle) }).toEqual({ needle, found: false });

  const found = payloadsOf(history.events);
  // The workflow input, activity arguments and results: a checkout has dozens.
  expect(found.length).toBeGreaterThan(10);
  const labels = new Set(
    found.map(({ payload }) => `${text(payload.metadata?.encoding)} ${text(payload.metadata?.[KEY_ID_METADATA])}`),
  );
  expect([...labels]).toEqual([`${ENCRYPTED_ENCODING} ${DEV_PAYLOAD_KEY.id}`]);
  await maybeRecordHistory(h, orderId, 'encrypted-success');
});

test('the codec server decrypts a history for an admin, as the Web UI and the CLI ask for it', async () => {
  const orderId = await confirmedOrder();
  const started = (await rawHistory(orderId)).events![0]!.workflowExecutionStartedEventAttributes!;
  const encrypted = asJson(started.input!.payloads as RawPayload[]);
  const res = await h.call('POST', '/codec/decode', { token: await h.token('admin'), body: encrypted });
  expect(res.status).toBe(200);
  expect(res.body.payloads).toHaveLength(1);
  const [input] = res.body.payloads;
  expect(Buffer.from(input.metadata.encoding, 'base64').toString()).toBe('json/plain');
  const decoded = JSON.parse(Buffer.from(input.data, 'base64').toString('utf8'));
  expect(decoded).toMatchObject({ orderId, request: { email: body.email, shippingAddress: body.shippingAddress } });

  // Encoding round-trips: what /codec/encode returns, /codec/decode reads back.
  const again = await h.call('POST', '/codec/encode', { token: await h.token('admin'), body: res.body });
  expect(again.status).toBe(200);
  expect(Buffer.from(again.body.payloads[0].metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
  const back = await h.call('POST', '/codec/decode', { token: await h.token('admin'), body: again.body });
  expect(back.body).toEqual(res.body);
});

test('temporal workflow show --codec-endpoint --codec-auth shows the decrypted history; without them, ciphertext', async () => {
  const orderId = await confirmedOrder();
  const api = await serveApi(h.app, { host: '127.0.0.1', port: 0, log: createLogger('silent') });
  try {
    const cli = process.env.ORDERLY_TEMPORAL_CLI ?? resolveTemporalCli();
    const show = async (...extra: string[]) =>
      (
        await promisify(execFile)(
          cli,
          [
            ...['workflow', 'show', '--workflow-id', checkoutWorkflowId(orderId)],
            ...['--address', process.env.ORDERLY_TEST_TEMPORAL_ADDRESS!, '--output', 'json', ...extra],
          ],
          { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 30_000 },
        )
      ).stdout;
    // JSON output keeps payload data in base64: read every payload of the export as the replayer would.
    const dataOf = (json: string) =>
      payloadsOf(JSON.parse(json))
        .map(({ payload }) => Buffer.from(String(payload.data ?? ''), 'base64').toString('utf8'))
        .join('\n');
    const auth = `Bearer ${await h.token('admin')}`;
    const decoded = dataOf(await show('--codec-endpoint', `${api.url}/codec`, '--codec-auth', auth));
    for (const needle of PERSONAL) expect(decoded).toContain(needle);
    const raw = await show();
    for (const needle of PERSONAL) expect(raw).not.toContain(needle);
    for (const needle of PERSONAL) expect(dataOf(raw)).not.toContain(needle);
    // A customer's token is refused: the CLI fails (it retries the codec until its deadline) and shows no ciphertext
    // as if it were decoded.
    const customer = `Bearer ${await h.token('customer')}`;
    const refused = show('--codec-endpoint', `${api.url}/codec`, '--codec-auth', customer, '--command-timeout', '3s');
    await expect(refused).rejects.toMatchObject({ code: 1, stdout: '' });
  } finally {
    await api.close();
  }
});

describe('who may call the codec server', () => {
  const someCiphertext = async () => {
    const res = await h.call('POST', '/codec/encode', {
      token: await h.token('admin'),
      body: { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: 'e30=' }] },
    });
    return res.body;
  };

  test('a stranger (no token or a forged one) gets 401 and a customer 403, as problem+json', async () => {
    const payloads = await someCiphertext();
    for (const path of ['/codec/decode', '/codec/encode']) {
      const anonymous = await h.call('POST', path, { body: payloads });
      expect(anonymous).toMatchObject({ status: 401, body: { status: 401 } });
      expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
      const forged = await h.call('POST', path, { token: 'not.a.jwt', body: payloads });
      expect(forged.status).toBe(401);
      const customer = await h.call('POST', path, { token: await h.token('customer'), body: payloads });
      expect(customer).toMatchObject({ status: 403, body: { status: 403 } });
      expect(customer.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  test('malformed bodies are 400 and a payload under an unknown key is 422', async () => {
    const admin = await h.token('admin');
    expect(
      (await h.call('POST', '/codec/decode', { token: admin, body: { payloads: [{ data: '%%%' }] } })).status,
    ).toBe(400);
    expect((await h.call('POST', '/codec/decode', { token: admin, body: { payloads: 'x' } })).status).toBe(400);
    // Protobuf JSON leaves out an empty list: `temporal workflow query` without arguments sends {}.
    expect(await h.call('POST', '/codec/encode', { token: admin, body: {} })).toMatchObject({
      status: 200,
      body: { payloads: [] },
    });
    const foreign = await someCiphertext();
    foreign.payloads[0].metadata[KEY_ID_METADATA] = Buffer.from('someone-elses').toString('base64');
    const res = await h.call('POST', '/codec/decode', { token: admin, body: foreign });
    expect(res).toMatchObject({ status: 422, body: { status: 422 } });
  });

  test("make start's dev-server Web UI decodes without a token from its own origin, in development only", async () => {
    const ui = 'http://localhost:8233';
    const appFor = (env: Config['env']) =>
      createApp({
        db: h.db.db,
        temporal: h.client,
        config: { ...h.config, env, codec: { corsOrigins: [ui], originWithoutToken: ui } },
        log: createLogger('silent'),
        clock: () => new Date(),
      });
    const post = (app: ReturnType<typeof createApp>, origin: string, payloads: unknown) =>
      app.request('/codec/decode', {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', 'x-namespace': 'default' },
        body: JSON.stringify(payloads),
      });
    const payloads = await someCiphertext();
    const dev = appFor('development');
    const fromUi = await post(dev, ui, payloads);
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(ui);
    // The browser's preflight for a JSON POST with X-Namespace.
    const preflight = await dev.request('/codec/decode', {
      method: 'OPTIONS',
      headers: {
        origin: ui,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ui);
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');

    expect((await post(dev, 'http://localhost:9999', payloads)).status).toBe(401);
    expect((await post(appFor('production'), ui, payloads)).status).toBe(401);
    expect((await post(appFor('test'), ui, payloads)).status).toBe(401);
  });
});

test('key rotation: an order in flight under the old key finishes under the new one; both stay readable', async () => {
  // The rotated configuration, as an operator would set it: both keys, the new one active.
  const rotatedKeys = loadConfig({
    NODE_ENV: 'test',
    PAYLOAD_KEYS: ROTATED_PAYLOAD_KEYS,
    PAYLOAD_KEY_ID: ROTATED_TEST_KEY.id,
  }).payloadKeys;
  const rotated: Config = { ...h.config, payloadKeys: rotatedKeys };
  const who = await shopper(h);
  const inFlight = await placeOrder(h, who, await seedProduct(h, book), 'tok_threeDSecureRequired');
  await waitForStatus(h, inFlight, ['awaiting_payment']);

  // Rotate: the worker and the API restart with the new configuration.
  await h.stopWorker();
  const connection = await NativeConnection.connect({ address: process.env.ORDERLY_TEST_TEMPORAL_ADDRESS! });
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  try {
    worker = await createWorker({
      connection,
      namespace: h.config.temporal.namespace,
      taskQueue: h.taskQueue,
      deps: { ...h.deps, config: rotated },
      workflowBundlePath: process.env.ORDERLY_WORKFLOW_BUNDLE,
      extra: { shutdownGraceTime: '2s' },
    });
    running = worker.run();
    const client = new Client({
      connection: h.client.connection,
      namespace: h.config.temporal.namespace,
      dataConverter: encryptingDataConverter(rotatedKeys),
    });
    const app = createApp({
      db: h.db.db,
      temporal: client,
      config: rotated,
      log: createLogger('silent'),
      clock: () => new Date(),
    });

    await client.workflow.getHandle(checkoutWorkflowId(inFlight)).signal(PAYMENT_CONFIRMED_SIGNAL);
    await waitForStatus(h, inFlight, ['confirmed']);
    await client.workflow.getHandle(checkoutWorkflowId(inFlight)).result();

    const fresh = await placeOrder({ ...h, app, call: callOn(app) }, who, await seedProduct(h, book));
    await waitForStatus(h, fresh, ['confirmed']);
    await client.workflow.getHandle(checkoutWorkflowId(fresh)).result();

    const keysIn = async (orderId: string) =>
      new Set(
        payloadsOf((await rawHistory(orderId)).events).map(({ payload }) => text(payload.metadata?.[KEY_ID_METADATA])),
      );
    expect([...(await keysIn(inFlight))].sort()).toEqual([DEV_PAYLOAD_KEY.id, ROTATED_TEST_KEY.id].sort());
    expect([...(await keysIn(fresh))]).toEqual([ROTATED_TEST_KEY.id]);

    // The rotated codec server reads both; one that only knows the old key cannot read the new payloads.
    const admin = await h.token('admin');
    for (const orderId of [inFlight, fresh]) {
      const started = (await rawHistory(orderId)).events![0]!.workflowExecutionStartedEventAttributes!;
      const res = await app.request('/codec/decode', {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(asJson(started.input!.payloads as RawPayload[])),
      });
      expect(res.status).toBe(200);
      const [input] = ((await res.json()) as { payloads: { data: string }[] }).payloads;
      expect(JSON.parse(Buffer.from(input!.data, 'base64').toString())).toMatchObject({ orderId });
    }
    const newOnly = (await rawHistory(fresh)).events![0]!.workflowExecutionStartedEventAttributes!;
    const oldServer = await h.call('POST', '/codec/decode', {
      token: admin,
      body: asJson(newOnly.input!.payloads as RawPayload[]),
    });
    expect(oldServer.status).toBe(422);
    await maybeRecordHistory(h, inFlight, 'encrypted-key-rotation');
  } finally {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await connection.close();
  }
});

/** A harness-like call() against another app (the rotated API). */
function callOn(app: ReturnType<typeof createApp>): Harness['call'] {
  return async (method, path, { token, body: payload, headers = {} } = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (token) (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
    if (payload !== undefined) {
      init.body = JSON.stringify(payload);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await app.request(path, init);
    const raw = await res.text();
    return { status: res.status, body: raw ? JSON.parse(raw) : undefined, headers: res.headers };
  };
}
