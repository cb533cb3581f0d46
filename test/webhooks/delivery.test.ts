/**
 * Webhook delivery end to end: a real HTTP receiver subscribed through the admin API gets every event of a checkout,
 * signed and in order, through a receiver outage and a worker stopped mid-delivery.
 */
import { webhookDispatchWorkflowId } from '../../contract';
import { webhookSubscriptions } from '../../db/schema';
import { newWebhookSecret } from '../../lib/webhook-signing';
import { checkoutSuite, placeOrder, seedProduct, shopper, waitForStatus } from '../checkout/helpers';
import type { Harness } from '../support/harness';
import { testLogger } from '../support/logs';
import { waitFor } from '../support/wait';
import { startWebhookWaker, type WebhookWaker } from '../../workers/webhooks';
import { startReceiver, type TestReceiver } from './receiver';
import {
  deliveryRows,
  expectSigned,
  firstArrivalsFor,
  receivedFor,
  subscribe,
  waitForAllEvents,
  waitForEvent,
} from './fixtures';

let h: Harness;
let waker: WebhookWaker;
const receivers: TestReceiver[] = [];
const book = checkoutSuite(
  {
    env: {
      WEBHOOK_RETRY_INITIAL_INTERVAL: '100ms',
      WEBHOOK_RETRY_MAX_INTERVAL: '1s',
      WEBHOOK_TIMEOUT: '5s',
      WEBHOOK_POLL_INTERVAL: '5s',
      WEBHOOK_DISABLE_AFTER_FAILURES: '1000',
    },
  },
  (started) => {
    h = started;
  },
);

beforeAll(async () => {
  // What the worker process runs beside its Temporal worker: LISTEN on order events, waking the dispatchers.
  waker = startWebhookWaker({
    db: h.db.db,
    listen: h.db.listen,
    client: h.client,
    taskQueue: h.taskQueue,
    log: testLogger('warn'),
  });
  await waker.ready;
});
afterAll(async () => {
  await waker?.close();
  for (const r of receivers) await r.stop();
});

async function receiver() {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

async function confirmedOrder() {
  const who = await shopper(h);
  const orderId = await placeOrder(h, who, await seedProduct(h, book));
  await waitForStatus(h, orderId, ['confirmed']);
  await waitForEvent(h, orderId, 'notification.sent');
  return orderId;
}

test('a subscriber receives every event of a checkout, signed, in event order, each with a stable webhook-id', async () => {
  const r = await receiver();
  const sub = await subscribe(h, r.url);
  const orderId = await confirmedOrder();
  const expected = await waitForAllEvents(h, r, orderId);

  expect(expected.length).toBeGreaterThanOrEqual(5);
  expect(firstArrivalsFor(r, orderId)).toEqual(expected);
  const got = receivedFor(r, orderId);
  expectSigned(got, sub.secret);
  expect(got.map((g) => g.json.type)).toEqual(
    expect.arrayContaining(['order.created', 'payment.authorized', 'order.confirmed', 'notification.sent']),
  );
  const rows = await waitFor(
    'the delivery log to show every event delivered',
    () => deliveryRows(h, sub.id),
    (rs) => rs.length >= expected.length && rs.every((d) => d.status === 'delivered'),
  );
  expect(rows.every((d) => d.attempts >= 1 && d.lastStatusCode === 200 && d.deliveredAt)).toBe(true);
});

test('a receiver that answers 503 and then refuses connections gets every event, in order, once it is back', async () => {
  const r = await receiver();
  r.status = 503;
  const sub = await subscribe(h, r.url);
  const orderId = await confirmedOrder();
  // Temporal retries the first event with backoff: several 503s arrive, each recorded in the log.
  await waitFor(
    'three 503 answers',
    async () => r.received.length,
    (n) => n >= 3,
  );
  await r.stop();
  await waitFor(
    'a refused connection in the delivery log',
    () => deliveryRows(h, sub.id),
    (rs) => rs.some((d) => /ECONNREFUSED/.test(d.lastError ?? '')),
  );
  const [first] = await deliveryRows(h, sub.id);
  expect(first!.status).toBe('pending');
  expect(first!.attempts).toBeGreaterThanOrEqual(4);

  r.status = 200;
  await r.start();
  const expected = await waitForAllEvents(h, r, orderId);
  // Nothing lost, nothing out of order: the first event was retried until it got through, the others waited.
  expect(firstArrivalsFor(r, orderId)).toEqual(expected);
  expectSigned(receivedFor(r, orderId), sub.secret);
  // The first event came again on each attempt, always as the same message.
  expect(new Set(r.received.slice(0, 3).map((x) => x.id))).toEqual(new Set([expected[0]]));
  const sub2 = await waitFor(
    'the run of failures to end',
    async () => (await deliveryRows(h, sub.id)).every((d) => d.status === 'delivered'),
    Boolean,
  );
  expect(sub2).toBe(true);
});

test('a worker stopped mid-delivery: the same webhook-id may arrive twice, never another id for the same event', async () => {
  const r = await receiver();
  r.hold = true;
  const sub = await subscribe(h, r.url);
  const orderId = await confirmedOrder();
  // The first request is read and held open; the worker stops meanwhile (its attempt is cancelled after the grace).
  const [held] = await waitFor(
    'a held request',
    async () => [...r.received],
    (rs) => rs.length >= 1,
  );
  await h.stopWorker();
  r.hold = false;
  r.release();
  await h.restartWorker();

  const expected = await waitForAllEvents(h, r, orderId);
  expect(firstArrivalsFor(r, orderId)).toEqual(expected);
  const got = receivedFor(r, orderId);
  expectSigned(got, sub.secret);
  // The held event arrived again, under the same id.
  expect(got.filter((g) => g.id === held!.id).length).toBeGreaterThanOrEqual(2);
  // Every copy of one event (its type and time) carries one webhook-id.
  const idsByEvent = new Map<string, Set<string>>();
  for (const g of got) {
    const key = `${g.json.type}@${g.json.timestamp}`;
    idsByEvent.set(key, (idsByEvent.get(key) ?? new Set()).add(g.id));
  }
  for (const ids of idsByEvent.values()) expect(ids.size).toBe(1);
  expect(idsByEvent.size).toBe(expected.length);
});

test('a worker at start resumes the dispatcher of every enabled subscription, and a disabled one gets none', async () => {
  const r = await receiver();
  // Written while no process ran the API hook (a restore, a dispatcher terminated by hand): no dispatcher runs yet.
  const secret = newWebhookSecret();
  const [enabled] = await h.db.db
    .insert(webhookSubscriptions)
    .values({ url: r.url, events: ['order.confirmed'], secret })
    .returning();
  const [disabled] = await h.db.db
    .insert(webhookSubscriptions)
    .values({ url: r.url, events: ['*'], secret, enabled: false, disabledReason: 'by hand' })
    .returning();
  const handle = h.client.workflow.getHandle(webhookDispatchWorkflowId(enabled!.id));
  await expect(handle.describe()).rejects.toThrow(/not found/i);

  const restarted = startWebhookWaker({
    db: h.db.db,
    client: h.client,
    taskQueue: h.taskQueue,
    log: testLogger('warn'),
  });
  await restarted.ready;
  await restarted.close();
  expect((await handle.describe()).status.name).toBe('RUNNING');
  const other = h.client.workflow.getHandle(webhookDispatchWorkflowId(disabled!.id));
  // Woken like every enabled one is, the disabled subscription's dispatcher is not running.
  await expect(other.describe().then((d) => d.status.name)).rejects.toThrow(/not found/i);

  // It delivers, filtered by event type.
  const orderId = await confirmedOrder();
  await waitFor(
    'order.confirmed at the receiver',
    async () => receivedFor(r, orderId),
    (rs) => rs.length >= 1,
  );
  expect(receivedFor(r, orderId).map((x) => x.json.type)).toEqual(['order.confirmed']);
  expectSigned(receivedFor(r, orderId), secret);
});
