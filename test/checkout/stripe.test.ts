/**
 * The whole checkout with PAYMENT_PROVIDER=stripe against stripe-mock, on the real dev server and database: the
 * worker's provider is the Stripe one that workers/deps.ts builds from config. stripe-mock keeps no state and answers
 * every PaymentIntent as an authorization (its fixtures here), so these check the calls and the workflow's path, not
 * Stripe's bookkeeping; the sandbox's suites keep the stateful fault scenarios (docs/payments.md).
 */
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { payments, products } from '../../db/schema';
import { createPaymentActivities } from '../../activities/payments/activities';
import { startHarness, type Harness } from '../support/harness';
import { startStripeMock, type StripeMock } from '../support/stripe-mock';
import { events, placeOrder, seedProduct, shopper, waitForStatus, waitForWorkflowDone } from './helpers';

const PRICE = 1999;
let mock: StripeMock;
let h: Harness;
/** Whether the next capture goes to Stripe or is refused before it reaches it. */
let captureRefused = false;

beforeAll(async () => {
  mock = await startStripeMock({
    status: 'requires_capture',
    amount: PRICE,
    amount_capturable: PRICE,
    amount_received: 0,
    last_payment_error: null,
    next_action: null,
  });
  h = await startHarness({
    env: {
      CANCELLATION_WINDOW: '1s',
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_orderly',
      STRIPE_WEBHOOK_SECRET: 'whsec_orderly_test',
      STRIPE_API_BASE: mock.apiBase,
    },
    activities: (deps) => {
      const real = createPaymentActivities(deps);
      return {
        // Only to reach the compensation: a capture refused for good, whatever Stripe would say.
        async capturePayment(input: { orderId: string; workflowId: string; paymentId?: string }) {
          if (captureRefused) throw ApplicationFailure.nonRetryable('capture refused', 'CaptureFailed');
          await real.capturePayment(input);
        },
      };
    },
  });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await mock?.stop();
});

const paymentOf = async (orderId: string) =>
  (await h.db.db.select().from(payments).where(eq(payments.orderId, orderId)))[0];
const stockOf = async (id: string) => (await h.db.db.select().from(products).where(eq(products.id, id)))[0]!.stock;

test('the worker built from PAYMENT_PROVIDER=stripe uses the Stripe provider', () => {
  expect(h.deps.payments.name).toBe('stripe');
});

test('a card authorized by Stripe is captured and the order confirmed', async () => {
  captureRefused = false;
  const who = await shopper(h);
  const p = await seedProduct(h, new Map(), { stock: 3, priceCents: PRICE });
  const orderId = await placeOrder(h, who, p);
  expect(await waitForStatus(h, orderId, ['confirmed'])).toMatchObject({ paymentStatus: 'captured' });
  await waitForWorkflowDone(h, orderId);
  const payment = await paymentOf(orderId);
  expect(payment).toMatchObject({ provider: 'stripe', status: 'captured', amountCents: PRICE });
  expect(payment!.providerPaymentId).toMatch(/^pi_/);
  const types = await events(h, orderId);
  expect(types).toEqual(expect.arrayContaining(['payment.authorized', 'payment.processed', 'order.confirmed']));
  expect(await stockOf(p)).toBe(2);
});

test('a failed capture is reconciled by looking the PaymentIntent up, then voided; stock back', async () => {
  captureRefused = true;
  const who = await shopper(h);
  const p = await seedProduct(h, new Map(), { stock: 2, priceCents: PRICE });
  const orderId = await placeOrder(h, who, p);
  expect(await waitForStatus(h, orderId, ['failed'])).toMatchObject({ paymentStatus: 'voided' });
  await waitForWorkflowDone(h, orderId);
  expect(await paymentOf(orderId)).toMatchObject({ provider: 'stripe', status: 'voided' });
  const types = await events(h, orderId);
  expect(types).toContain('payment.voided');
  expect(types).not.toContain('order.confirmed');
  expect(await stockOf(p)).toBe(2);
});
