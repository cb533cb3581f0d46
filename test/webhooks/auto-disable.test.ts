/**
 * A subscription whose receiver keeps failing is disabled after WEBHOOK_DISABLE_AFTER_FAILURES consecutive failed
 * attempts, its dispatcher ends and the admins get an email; an admin's redelivery then sends the event again with
 * its original webhook-id.
 */
import { webhookDispatchWorkflowId, webhookMessageId, type WebhookDispatchResult } from '../../contract';
import { mailSuite } from '../notifications/fixtures';
import { maybeRecordWorkflowHistory, placeOrder, seedProduct, shopper, waitForStatus } from '../checkout/helpers';
import type { Harness } from '../support/harness';
import type { TestSmtp } from '../support/smtp';
import { waitFor } from '../support/wait';
import { webhookAttempts } from '../../workers/metrics';
import { startReceiver, type TestReceiver } from './receiver';
import { deliveryRows, expectSigned, subscribe, subscriptionRow } from './fixtures';

let smtp: TestSmtp;
let h: Harness;
let r: TestReceiver;
mailSuite(
  (started, harness) => {
    smtp = started;
    h = harness;
  },
  {
    env: {
      WEBHOOK_DISABLE_AFTER_FAILURES: '3',
      WEBHOOK_ADMIN_EMAIL: 'ops@example.com',
      WEBHOOK_RETRY_INITIAL_INTERVAL: '100ms',
      WEBHOOK_RETRY_MAX_INTERVAL: '200ms',
      // No waker runs here (test/webhooks/delivery.test.ts has one): new events are found by the poll.
      WEBHOOK_POLL_INTERVAL: '1s',
    },
  },
);
beforeAll(async () => {
  r = await startReceiver();
});
afterAll(async () => {
  await r?.stop();
});

test('three failed attempts in a row disable the subscription, end its dispatcher and email the admins', async () => {
  r.status = 500;
  const sub = await subscribe(h, r.url);
  const who = await shopper(h);
  const orderId = await placeOrder(h, who, await seedProduct(h, new Map()));
  // Delivery never holds up the order.
  await waitForStatus(h, orderId, ['confirmed']);

  const result = (await h.client.workflow
    .getHandle(webhookDispatchWorkflowId(sub.id))
    .result()) as WebhookDispatchResult;
  expect(result).toMatchObject({ ended: 'auto_disabled', delivered: 0 });
  expect(result.reason).toMatch(/^3 consecutive failed attempts; the last: HTTP 500/);
  await maybeRecordWorkflowHistory(h, webhookDispatchWorkflowId(sub.id), 'webhook-dispatcher-auto-disabled');

  const row = await subscriptionRow(h, sub.id);
  expect(row).toMatchObject({ enabled: false, consecutiveFailures: 3 });
  expect(row.disabledReason).toBe(result.reason);
  const [first, ...rest] = await deliveryRows(h, sub.id);
  expect(first).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: 500 });
  expect(first!.lastError).toMatch(/HTTP 500/);
  expect(rest.every((d) => d.status === 'pending' && d.attempts === 0)).toBe(true);
  expect(r.received).toHaveLength(3);
  expect(new Set(r.received.map((x) => x.id))).toEqual(new Set([webhookMessageId(first!.eventId)]));

  const mail = await waitFor(
    'the admins to be emailed',
    async () => smtp.messages.filter((m) => m.to.includes('ops@example.com')),
    (ms) => ms.length >= 1,
  );
  expect(mail).toHaveLength(1);
  expect(mail[0]!.subject).toBe(`Webhook subscription disabled: ${r.url}`);
  expect(mail[0]!.parsed.text).toContain(sub.id);
  expect(mail[0]!.parsed.text).toContain('3 consecutive failed attempts');

  // An admin sends the failed event again once the receiver is fixed: one attempt, the same webhook-id.
  r.status = 200;
  const admin = await h.token('admin');
  const res = await h.call('POST', `/webhooks/subscriptions/${sub.id}/deliveries/${first!.id}/redeliver`, {
    token: admin,
  });
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ deliveryId: first!.id, webhookId: webhookMessageId(first!.eventId) });
  await expect(h.client.workflow.getHandle(res.body.workflowId).result()).resolves.toEqual({
    delivered: true,
    statusCode: 200,
    error: null,
  });
  await maybeRecordWorkflowHistory(h, res.body.workflowId, 'webhook-redeliver');
  expect(r.received).toHaveLength(4);
  expect(r.received[3]!.id).toBe(webhookMessageId(first!.eventId));
  expectSigned(r.received, sub.secret);
  const after = (await deliveryRows(h, sub.id))[0]!;
  expect(after).toMatchObject({ status: 'delivered', attempts: 4, lastStatusCode: 200, lastError: null });
  // A redelivery neither counts towards nor resets the subscription's run, and does not enable it.
  expect(await subscriptionRow(h, sub.id)).toMatchObject({ enabled: false });

  // The worker's metrics counted each attempt by outcome.
  const counted = Object.fromEntries((await webhookAttempts.get()).values.map((v) => [v.labels.outcome, v.value]));
  expect(counted).toEqual({ delivered: 1, failed: 3, refused: 0 });

  // The log shows it.
  const log = await h.call('GET', `/webhooks/subscriptions/${sub.id}/deliveries?limit=100`, { token: admin });
  expect(log.status).toBe(200);
  expect(log.body.items.find((d: { id: number }) => d.id === first!.id)).toMatchObject({
    status: 'delivered',
    attempts: 4,
    webhookId: webhookMessageId(first!.eventId),
  });
});

test('a redelivery of a delivery that does not exist is a 404 problem', async () => {
  const sub = await subscribe(h, r.url);
  const res = await h.call('POST', `/webhooks/subscriptions/${sub.id}/deliveries/999999/redeliver`, {
    token: await h.token('admin'),
  });
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
});

test('a receiver answering 410 Gone disables the subscription at once', async () => {
  // A receiver of its own: the other tests' subscriptions still deliver to theirs.
  const gone = await startReceiver();
  gone.status = 410;
  const sub = await subscribe(h, gone.url);
  const who = await shopper(h);
  await placeOrder(h, who, await seedProduct(h, new Map()));
  const result = (await h.client.workflow
    .getHandle(webhookDispatchWorkflowId(sub.id))
    .result()) as WebhookDispatchResult;
  expect(result).toMatchObject({ ended: 'auto_disabled', reason: 'the receiver answered 410 Gone' });
  expect(gone.received).toHaveLength(1);
  expect(await subscriptionRow(h, sub.id)).toMatchObject({ enabled: false, consecutiveFailures: 1 });
  await gone.stop();
});
