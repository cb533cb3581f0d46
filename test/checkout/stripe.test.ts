/**
 * The whole checkout with PAYMENT_PROVIDER=stripe against stripe-mock, on the real dev server and database: the
 * worker's provider is the Stripe one that workers/deps.ts builds from config. stripe-mock keeps no state, so one
 * instance per state of the PaymentIntent sits behind one address (test/support/stripe-mock.ts) and each test moves
 * the intent where real Stripe would have it; the sandbox's suites keep the stateful fault scenarios
 * (docs/payments.md).
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { orderEvents } from '../../db/schema';
import { createPaymentActivities, paymentKey } from '../../activities/payments/activities';
import { STRIPE_KEY_METADATA } from '../../activities/payments/stripe';
import { orderIdFor } from '../../api/orders/ids';
import { checkoutWorkflowId } from '../../contract';
import { startHarness, type Harness } from '../support/harness';
import { startStripeStates, type StripeRequest, type StripeStates } from '../support/stripe-mock';
import {
  checkoutBody,
  checkoutHandle,
  events,
  localActivityData,
  paymentOf,
  placeOrder,
  postCheckout,
  seedCart,
  seedProduct,
  shopper,
  stockOf,
  waitForHistoryEvent,
  waitForStatus,
  waitForWorkflowDone,
} from './helpers';

const PRICE = 1999;
/** The order whose authorization's answer is lost: its id, and so its key, are known before it is placed. */
const lost = { customerId: randomUUID(), idempotencyKey: randomUUID() };
const lostKey = paymentKey(checkoutWorkflowId(orderIdFor(lost.customerId, lost.idempotencyKey)), 'authorize');

const settled = { last_payment_error: null, next_action: null, amount: PRICE, currency: 'eur' };
let stripe: StripeStates<'authorized' | 'captured' | 'declined'>;
let h: Harness;
/** Whether the next capture goes to Stripe or is refused before it reaches it. */
let captureRefused = false;

beforeAll(async () => {
  stripe = await startStripeStates(
    {
      // What Stripe holds after a confirmed manual-capture intent. Its metadata is what the lost order's search finds.
      authorized: {
        paymentIntent: {
          ...settled,
          status: 'requires_capture',
          amount_capturable: PRICE,
          amount_received: 0,
          metadata: { [STRIPE_KEY_METADATA]: lostKey },
        },
      },
      captured: {
        paymentIntent: { ...settled, status: 'succeeded', amount_capturable: 0, amount_received: PRICE },
        resources: {
          charge: { amount: PRICE, amount_captured: PRICE, amount_refunded: 0, captured: true },
          refund: { amount: PRICE, currency: 'eur', status: 'succeeded' },
        },
      },
      // A card declined at confirmation: Stripe wants another payment method.
      declined: {
        paymentIntent: {
          ...settled,
          status: 'requires_payment_method',
          last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' },
        },
      },
    },
    'authorized',
  );
  h = await startHarness({
    env: {
      CANCELLATION_WINDOW: '5m',
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_orderly',
      STRIPE_WEBHOOK_SECRET: 'whsec_orderly_test',
      STRIPE_API_BASE: stripe.apiBase,
    },
    activities: (deps) => {
      const real = createPaymentActivities(deps);
      return {
        // Only to reach the compensation after a capture: stripe-mock answers every capture with 200.
        async capturePayment(input: { orderId: string; workflowId: string; paymentId?: string }) {
          if (captureRefused) throw ApplicationFailure.nonRetryable('capture refused', 'CaptureFailed');
          await real.capturePayment(input);
        },
      };
    },
  });
}, 120_000);

beforeEach(() => {
  captureRefused = false;
  stripe.use('authorized');
  stripe.loseAnswers(null);
});

afterAll(async () => {
  await h?.close();
  await stripe?.stop();
});

/** The requests about this order's intent, or its creation, from index `from` on. */
const callsFor = (paymentId: string, from = 0) =>
  stripe.requests.slice(from).filter((r) => r.path.includes(paymentId) || r.params.get('payment_intent') === paymentId);
const brief = (r: StripeRequest) => ({ method: r.method, path: r.path, idempotencyKey: r.idempotencyKey });
/**
 * How a compensation treated the intent: its first call (the reconciling lookup) and every change it asked for.
 * (stripe-mock reflects a refund's `payment_intent` parameter over its expansion, so the provider reads the intent
 * back after a refund; real Stripe expands it.)
 */
const reversal = (paymentId: string, from = 0) => {
  const calls = callsFor(paymentId, from);
  return { lookup: calls[0] && brief(calls[0]), changes: calls.filter((r) => r.method === 'POST').map(brief) };
};

test('the worker built from PAYMENT_PROVIDER=stripe uses the Stripe provider', () => {
  expect(h.deps.payments.name).toBe('stripe');
});

test('a card authorized by Stripe is captured and the order confirmed', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, new Map(), { stock: 3, priceCents: PRICE });
  const orderId = await placeOrder(h, who, p);
  expect(await waitForStatus(h, orderId, ['confirmed'])).toMatchObject({ paymentStatus: 'captured' });
  await waitForWorkflowDone(h, orderId);
  const payment = await paymentOf(h, orderId);
  expect(payment).toMatchObject({ provider: 'stripe', status: 'captured', amountCents: PRICE });
  const key = paymentKey(checkoutWorkflowId(orderId), 'authorize');
  const create = stripe.requests.find((r) => r.path === '/v1/payment_intents' && r.idempotencyKey === key)!;
  expect(Object.fromEntries(create.params)).toMatchObject({
    amount: String(PRICE),
    currency: 'eur',
    capture_method: 'manual',
    confirm: 'true',
    [`metadata[${STRIPE_KEY_METADATA}]`]: key,
  });
  expect(callsFor(payment!.providerPaymentId!).map(brief)).toEqual([
    {
      method: 'POST',
      path: `/v1/payment_intents/${payment!.providerPaymentId}/capture`,
      idempotencyKey: paymentKey(checkoutWorkflowId(orderId), 'capture'),
    },
  ]);
  const types = await events(h, orderId);
  expect(types).toEqual(expect.arrayContaining(['payment.authorized', 'payment.processed', 'order.confirmed']));
  expect(await stockOf(h, p)).toBe(2);
});

test('a card Stripe declines fails the order with its decline code, with nothing to void; stock back', async () => {
  stripe.use('declined');
  const who = await shopper(h);
  const p = await seedProduct(h, new Map(), { stock: 2, priceCents: PRICE });
  const from = stripe.requests.length;
  const orderId = await placeOrder(h, who, p);
  expect(await waitForStatus(h, orderId, ['failed'])).toMatchObject({
    paymentStatus: 'failed',
    failureReason: 'payment_declined:insufficient_funds',
  });
  await waitForWorkflowDone(h, orderId);
  expect(await paymentOf(h, orderId)).toMatchObject({
    provider: 'stripe',
    status: 'failed',
    failureCode: 'insufficient_funds',
  });
  // Reconciliation read the declined intent back and left it alone: no cancel, no refund.
  expect(stripe.requests.slice(from).filter((r) => r.method === 'POST' && r.path !== '/v1/payment_intents')).toEqual([
    expect.objectContaining({ path: '/v1/payment_methods' }),
  ]);
  const types = await events(h, orderId);
  expect(types).toContain('payment.failed');
  expect(types).not.toContain('payment.authorized');
  expect(await stockOf(h, p)).toBe(2);
});

test('a customer cancel in the refund window refunds the captured PaymentIntent; stock back', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, new Map(), { stock: 2, priceCents: PRICE });
  const orderId = await placeOrder(h, who, p);
  await waitForStatus(h, orderId, ['confirmed']);
  await waitForWorkflowDone(h, orderId);
  const { providerPaymentId: intent } = (await paymentOf(h, orderId))!;
  // Stripe now holds the captured intent (stripe-mock does not move it by itself).
  stripe.use('captured');
  const from = stripe.requests.length;

  const res = await h.call('POST', `/orders/${orderId}/cancel`, { token: who.token, body: {} });
  expect(res.status).toBe(200);
  expect(await waitForStatus(h, orderId, ['cancelled'])).toMatchObject({ paymentStatus: 'refunded' });
  await waitForWorkflowDone(h, orderId);
  expect(reversal(intent!, from)).toEqual({
    lookup: { method: 'GET', path: `/v1/payment_intents/${intent}`, idempotencyKey: undefined },
    changes: [
      { method: 'POST', path: '/v1/refunds', idempotencyKey: paymentKey(checkoutWorkflowId(orderId), 'refund') },
    ],
  });
  expect(await paymentOf(h, orderId)).toMatchObject({ status: 'refunded' });
  const refunded = await h.db.db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId));
  expect(refunded.find((e) => e.type === 'payment.refunded')?.data).toMatchObject({ amountCents: PRICE });
  expect(refunded.map((e) => e.type)).toEqual(expect.arrayContaining(['order.cancelled', 'order.refunded']));
  expect(await stockOf(h, p)).toBe(2);
});

test('a failed capture is reconciled by looking the PaymentIntent up, then voided; stock back', async () => {
  captureRefused = true;
  const who = await shopper(h);
  const p = await seedProduct(h, new Map(), { stock: 2, priceCents: PRICE });
  const orderId = await placeOrder(h, who, p);
  expect(await waitForStatus(h, orderId, ['failed'])).toMatchObject({ paymentStatus: 'voided' });
  await waitForWorkflowDone(h, orderId);
  const { providerPaymentId: intent, status } = (await paymentOf(h, orderId))!;
  expect(status).toBe('voided');
  expect(reversal(intent!)).toEqual({
    lookup: { method: 'GET', path: `/v1/payment_intents/${intent}`, idempotencyKey: undefined },
    changes: [
      // The capture the test refused never reached Stripe; the void did.
      {
        method: 'POST',
        path: `/v1/payment_intents/${intent}/cancel`,
        idempotencyKey: paymentKey(checkoutWorkflowId(orderId), 'void'),
      },
    ],
  });
  const types = await events(h, orderId);
  expect(types).toContain('payment.voided');
  expect(types).not.toContain('order.confirmed');
  expect(await stockOf(h, p)).toBe(2);
});

test('an authorization whose answer was lost is found by searching its key, and voided when the order is cancelled', async () => {
  // Stripe creates the intent each time, but the answer never comes back; Temporal retries with the same key.
  stripe.loseAnswers((r) => r.method === 'POST' && r.path === '/v1/payment_intents');
  const p = await seedProduct(h, new Map(), { stock: 2, priceCents: PRICE });
  const who = { id: lost.customerId, token: await h.token('customer', lost.customerId) };
  const cartId = await seedCart(h, who.id, [{ productId: p, quantity: 1 }]);
  const res = await postCheckout(h, who, checkoutBody(cartId), lost.idempotencyKey);
  expect(res.status).toBe(202);
  const orderId = res.body.orderId as string;
  expect(orderId).toBe(orderIdFor(lost.customerId, lost.idempotencyKey));
  // An operator cancels the stuck checkout while its authorization waits out a retry's backoff, so the cancel finds no
  // attempt in flight, whose failure would fail the order instead. The authorization is a local activity: after its
  // fifth attempt the backoff (8 s) is longer than LOCAL_RETRY_THRESHOLD, so it waits on a server timer, recorded as a
  // marker with the backoff.
  const handle = checkoutHandle(h, orderId);
  const marker = await waitForHistoryEvent(handle, 'the authorization to wait on a server timer', (e) => {
    const data = localActivityData(e);
    return data?.activity_type === 'authorizePayment' && Boolean(data.backoff);
  });
  const attempts = localActivityData(marker)!.attempt!;
  // No answer came back, so the order holds no intent id: only Stripe knows it.
  expect((await paymentOf(h, orderId))?.providerPaymentId ?? null).toBeNull();
  await handle.cancel();

  expect(await waitForStatus(h, orderId, ['cancelled'])).toMatchObject({
    paymentStatus: 'voided',
    failureReason: 'cancelled_by_operator',
  });
  await waitForWorkflowDone(h, orderId);
  const creates = stripe.requests.filter((r) => r.path === '/v1/payment_intents');
  expect(new Set(creates.filter((r) => r.lost).map((r) => r.idempotencyKey))).toEqual(new Set([lostKey]));
  // Each attempt that ran sent the intent twice: the SDK resends once when the connection closes, retries off or not.
  expect(creates.filter((r) => r.lost)).toHaveLength(2 * attempts);
  const search = stripe.requests.find((r) => r.path === '/v1/payment_intents/search');
  expect(search?.query.get('query')).toBe(`metadata['${STRIPE_KEY_METADATA}']:'${lostKey}'`);
  const { providerPaymentId: intent } = (await paymentOf(h, orderId))!;
  expect(intent).toMatch(/^pi_/);
  expect(stripe.requests.filter((r) => r.path === `/v1/payment_intents/${intent}/cancel`).map(brief)).toEqual([
    {
      method: 'POST',
      path: `/v1/payment_intents/${intent}/cancel`,
      idempotencyKey: paymentKey(checkoutWorkflowId(orderId), 'void'),
    },
  ]);
  expect(await events(h, orderId)).toEqual(expect.arrayContaining(['payment.voided', 'order.cancelled']));
  expect(await stockOf(h, p)).toBe(2);
}, 60_000);
