/**
 * Deliveries go only to addresses configuration allows: with WEBHOOK_ALLOW_PRIVATE_ADDRESSES=false a subscription
 * whose URL (or its host's DNS answer) is a private or loopback address is refused right before sending, and nothing
 * reaches the receiver.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { webhookSubscriptions } from '../../db/schema';
import { createWebhookActivities } from '../../activities/webhooks/activities';
import { webhookSender } from '../../activities/webhooks/http';
import { newWebhookSecret } from '../../lib/webhook-signing';
import { wakeWebhookDispatcher } from '../../lib/webhook-dispatch';
import { checkoutSuite, placeOrder, seedProduct, shopper, waitForStatus } from '../checkout/helpers';
import type { Harness } from '../support/harness';
import { waitFor } from '../support/wait';
import { startReceiver, type TestReceiver } from './receiver';
import { deliveryRows } from './fixtures';

let h: Harness;
let r: TestReceiver;
const book = checkoutSuite(
  {
    env: {
      WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'false',
      WEBHOOK_RETRY_INITIAL_INTERVAL: '100ms',
      WEBHOOK_RETRY_MAX_INTERVAL: '200ms',
      // No waker runs here (test/webhooks/delivery.test.ts has one): new events are found by the poll.
      WEBHOOK_POLL_INTERVAL: '1s',
      WEBHOOK_DISABLE_AFTER_FAILURES: '1000',
    },
  },
  (started) => {
    h = started;
  },
);
beforeAll(async () => {
  r = await startReceiver();
});
afterAll(async () => {
  await r?.stop();
});

/** A subscription saved while the policy allowed it (the API now refuses such a URL), written straight to the table. */
async function savedSubscription(url: string): Promise<string> {
  const id = randomUUID();
  await h.db.db.insert(webhookSubscriptions).values({ id, url, events: ['*'], secret: newWebhookSecret() });
  return id;
}

test('the API refuses a loopback URL when private addresses are not allowed', async () => {
  const res = await h.call('POST', '/webhooks/subscriptions', {
    token: await h.token('admin'),
    body: { url: r.url, events: ['*'] },
  });
  expect(res.status).toBe(400);
});

test('a loopback address is refused at delivery: recorded in the log, retried, and never sent', async () => {
  const id = await savedSubscription(r.url);
  await wakeWebhookDispatcher(h.client, h.taskQueue, id);
  const who = await shopper(h);
  const orderId = await placeOrder(h, who, await seedProduct(h, book));
  await waitForStatus(h, orderId, ['confirmed']);
  const rows = await waitFor(
    'refused attempts in the delivery log',
    () => deliveryRows(h, id),
    (rs) => (rs[0]?.attempts ?? 0) >= 2,
  );
  expect(rows[0]).toMatchObject({ status: 'pending', lastStatusCode: null });
  expect(rows[0]!.lastError).toMatch(/^refused: address 127\.0\.0\.1 is private, loopback or otherwise not public/);
  expect(r.received).toHaveLength(0);
});

test('a host name that resolves to a private address is refused before any connection', async () => {
  const id = await savedSubscription(`http://hooks.example.com:${new URL(r.url).port}/hooks`);
  await wakeWebhookDispatcher(h.client, h.taskQueue, id);
  const who = await shopper(h);
  const orderId = await placeOrder(h, who, await seedProduct(h, book));
  await waitForStatus(h, orderId, ['confirmed']);
  const [row] = await waitFor(
    'a logged delivery',
    () => deliveryRows(h, id),
    (rs) => rs.length > 0,
  );
  // hooks.example.com cannot be resolved here (no DNS): the resolver answers what a rebinding attacker would.
  const acts = createWebhookActivities(
    h.deps,
    webhookSender({
      policy: { allowPrivateAddresses: false },
      timeoutMs: 1000,
      resolve: async () => [{ address: '10.1.2.3', family: 4 }],
    }),
  );
  const err = await acts.deliverWebhook({ subscriptionId: id, deliveryId: row!.id }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect((err as ApplicationFailure).type).toBe('WebhookAddressRefused');
  expect((err as ApplicationFailure).message).toMatch(/hooks\.example\.com resolves to 10\.1\.2\.3/);
  expect(r.received).toHaveLength(0);
});
