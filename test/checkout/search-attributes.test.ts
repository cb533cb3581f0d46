/**
 * Operators find orders through the checkout's search attributes (contract/search-attributes.ts) on the real dev
 * server: by customer, status, payment state and total, and NeedsAttention for a compensation that ran out of retries
 * or an order stuck past ORDER_STUCK_AFTER. Visibility is eventually consistent, so every list is awaited.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createPaymentActivities } from '../../activities/payments/activities';
import {
  PAYMENT_CONFIRMED_SIGNAL,
  RETRY_COMPENSATIONS_UPDATE,
  checkoutWorkflowId,
  type CheckoutStatus,
} from '../../contract';
import type { Harness } from '../support/harness';
import { temporalCli } from '../support/temporal-cli';
import { checkoutSuite, placeOrder, seedProduct, shopper, waitFor, waitForStatus } from './helpers';

let h: Harness;

/** How the replaced payment activities behave for the next order; every test starts from `real`. */
const modes = {
  /** `retrying`: fails with a retryable error, so the checkout keeps retrying it (stuck). */
  capture: 'real' as 'real' | 'refused' | 'retrying',
  reverse: 'real' as 'real' | 'down',
};
beforeEach(() => Object.assign(modes, { capture: 'real', reverse: 'real' }));

const book = checkoutSuite(
  {
    env: { CANCELLATION_WINDOW: '1h', ORDER_STUCK_AFTER: '3s' },
    activities: (deps) => {
      const payment = createPaymentActivities(deps);
      return {
        async capturePayment(input: Parameters<typeof payment.capturePayment>[0]) {
          if (modes.capture === 'refused') throw ApplicationFailure.nonRetryable('capture refused', 'Unavailable');
          if (modes.capture === 'retrying') throw new Error('payment provider unavailable');
          return payment.capturePayment(input);
        },
        async reversePayment(input: Parameters<typeof payment.reversePayment>[0]) {
          if (modes.reverse === 'down') throw ApplicationFailure.nonRetryable('still down', 'Unavailable');
          return payment.reversePayment(input);
        },
      };
    },
  },
  (started) => (h = started),
);

const handleOf = (orderId: string) => h.client.workflow.getHandle(checkoutWorkflowId(orderId));
const statusOf = (orderId: string) => handleOf(orderId).query<CheckoutStatus>('status');

/** The order ids of the checkouts a visibility query lists, sorted. */
async function listed(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of h.client.workflow.list({ query })) ids.push(wf.workflowId.replace(/^order-/, ''));
  return ids.sort();
}

/** Waits until `query` lists exactly these orders (visibility catches up after each upsert). */
function expectListed(query: string, orderIds: string[]): Promise<string[]> {
  const want = [...orderIds].sort();
  return waitFor(
    `exactly ${want.length} order(s) for ${query}`,
    () => listed(query),
    (ids) => JSON.stringify(ids) === JSON.stringify(want),
  );
}

test('orders are found by customer, status, payment state and total; the list shows each one’s summary', async () => {
  const ada = await shopper(h);
  const bob = await shopper(h);
  const product = await seedProduct(h, book, { priceCents: 1250 });
  const confirmed = await placeOrder(h, ada, product, 'tok_visa', 2);
  const declined = await placeOrder(h, ada, product, 'tok_chargeDeclined');
  const waiting = await placeOrder(h, ada, product, 'tok_threeDSecureRequired');
  const bobs = await placeOrder(h, bob, product);
  await waitForStatus(h, confirmed, ['confirmed']);
  await waitForStatus(h, declined, ['failed']);
  await waitForStatus(h, waiting, ['awaiting_payment']);
  await waitForStatus(h, bobs, ['confirmed']);

  await expectListed(`CustomerId="${ada.id}"`, [confirmed, declined, waiting]);
  await expectListed(`CustomerId="${bob.id}"`, [bobs]);
  await expectListed(`CustomerId="${ada.id}" AND OrderStatus="awaiting_payment"`, [waiting]);
  await expectListed(`CustomerId="${ada.id}" AND PaymentState="requires_action"`, [waiting]);
  await expectListed(`CustomerId="${ada.id}" AND OrderStatus="failed" AND PaymentState="failed"`, [declined]);
  await expectListed(`CustomerId="${ada.id}" AND OrderStatus="confirmed" AND PaymentState="captured"`, [confirmed]);
  await expectListed(`CustomerId="${ada.id}" AND OrderTotalCents >= 2500`, [confirmed]);

  const description = await handleOf(confirmed).describe();
  expect(await description.staticSummary()).toBe(`2 items · €25.00 · customer ${ada.id.slice(0, 8)}`);
  expect(await description.staticDetails()).toContain(`**Order** ${confirmed}`);
  expect(description.typedSearchAttributes.getAll().map((p) => p.key.name)).toEqual(
    expect.arrayContaining(['OrderStatus', 'PaymentState', 'CustomerId', 'OrderTotalCents', 'NeedsAttention']),
  );

  // The same list from the CLI, as docs/operating.md shows it.
  const out = temporalCli(['workflow', 'list', '--query', `CustomerId="${ada.id}" AND OrderStatus="awaiting_payment"`]);
  expect(out).toContain(checkoutWorkflowId(waiting));
  expect(out).not.toContain(checkoutWorkflowId(confirmed));

  // Past ORDER_STUCK_AFTER the waiting order needs attention; confirmed, it no longer does.
  await expectListed(`CustomerId="${ada.id}" AND NeedsAttention=true`, [waiting]);
  await handleOf(waiting).signal(PAYMENT_CONFIRMED_SIGNAL, {});
  await waitForStatus(h, waiting, ['confirmed']);
  await expectListed(`CustomerId="${ada.id}" AND NeedsAttention=true`, []);
  await expectListed(`CustomerId="${ada.id}" AND OrderStatus="confirmed"`, [confirmed, waiting]);
});

test('a step retrying past ORDER_STUCK_AFTER raises NeedsAttention, and it clears once the order gets through', async () => {
  modes.capture = 'retrying';
  const who = await shopper(h);
  const orderId = await placeOrder(h, who, await seedProduct(h, book));
  await expectListed(`CustomerId="${who.id}" AND NeedsAttention=true`, [orderId]);
  expect(await statusOf(orderId)).toMatchObject({ step: 'capturing_payment', needsAttention: true });
  modes.capture = 'real';
  await waitForStatus(h, orderId, ['confirmed']);
  await expectListed(`CustomerId="${who.id}" AND NeedsAttention=false AND OrderStatus="confirmed"`, [orderId]);
  expect(await statusOf(orderId)).toMatchObject({ needsAttention: false });
});

test('a compensation out of retries lists under NeedsAttention until an operator’s retry gets it done', async () => {
  modes.capture = 'refused';
  modes.reverse = 'down';
  const who = await shopper(h);
  const orderId = await placeOrder(h, who, await seedProduct(h, book));
  await expectListed(`NeedsAttention=true AND CustomerId="${who.id}"`, [orderId]);
  await expectListed(`PaymentState="reversal_failed" AND CustomerId="${who.id}"`, [orderId]);
  await expectListed(`OrderStatus="failed" AND CustomerId="${who.id}" AND ExecutionStatus="Running"`, [orderId]);

  modes.reverse = 'real';
  await handleOf(orderId).executeUpdate(RETRY_COMPENSATIONS_UPDATE);
  await handleOf(orderId).result();
  await expectListed(`NeedsAttention=true AND CustomerId="${who.id}"`, []);
  await expectListed(`PaymentState="voided" AND CustomerId="${who.id}"`, [orderId]);
});
