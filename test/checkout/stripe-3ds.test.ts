/**
 * 3-D Secure with PAYMENT_PROVIDER=stripe, the whole checkout: the authorization needs customer action, Stripe's
 * signed webhook (Stripe-Signature, signed here with the SDK's generateTestHeaderString) reaches the order's workflow
 * as the paymentConfirmed signal, and the checkout reads the intent back, captures and confirms. stripe-mock keeps no
 * state, so the test moves the intent to `requires_capture` (the customer passed the challenge) by switching which
 * stripe-mock instance answers (test/support/stripe-mock.ts).
 */
import Stripe from 'stripe';
import { paymentKey } from '../../activities/payments/activities';
import { PAYMENT_CONFIRMED_SIGNAL, checkoutWorkflowId } from '../../contract';
import { startHarness, type Harness } from '../support/harness';
import { startStripeStates, type StripeStates } from '../support/stripe-mock';
import {
  checkoutHandle,
  events,
  paymentOf,
  placeOrder,
  seedProduct,
  shopper,
  stockOf,
  waitForHistoryEvent,
  waitForStatus,
  waitForWorkflowDone,
} from './helpers';

const SECRET = 'whsec_orderly_test';
const PRICE = 1999;
const settled = { last_payment_error: null, amount: PRICE, currency: 'eur', amount_received: 0 };
let stripe: StripeStates<'challenged' | 'authorized'>;
let h: Harness;

beforeAll(async () => {
  stripe = await startStripeStates(
    {
      challenged: {
        paymentIntent: {
          ...settled,
          status: 'requires_action',
          amount_capturable: 0,
          next_action: { type: 'use_stripe_sdk', use_stripe_sdk: {} },
        },
      },
      authorized: {
        paymentIntent: { ...settled, status: 'requires_capture', amount_capturable: PRICE, next_action: null },
      },
    },
    'challenged',
  );
  h = await startHarness({
    env: {
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_orderly',
      STRIPE_WEBHOOK_SECRET: SECRET,
      STRIPE_API_BASE: stripe.apiBase,
    },
  });
}, 120_000);

beforeEach(() => stripe.use('challenged'));

afterAll(async () => {
  await h?.close();
  await stripe?.stop();
});

const eventFor = (type: string, object: Record<string, unknown>) =>
  JSON.stringify({ id: `evt_${Date.now()}`, object: 'event', type, data: { object }, api_version: null });

const post = (payload: string, signature: string) =>
  h.call('POST', '/payments/stripe/webhook', {
    body: payload,
    headers: { 'stripe-signature': signature, 'content-type': 'application/json' },
  });
const signed = (payload: string) => Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET });

/** An order waiting for its customer's 3-D Secure challenge, and its PaymentIntent's id. */
async function challengedOrder() {
  const who = await shopper(h);
  const p = await seedProduct(h, new Map(), { stock: 2, priceCents: PRICE });
  const orderId = await placeOrder(h, who, p);
  await waitForStatus(h, orderId, ['awaiting_payment']);
  const row = await paymentOf(h, orderId);
  expect(row).toMatchObject({ provider: 'stripe', status: 'requires_action' });
  return { who, p, orderId, intent: row!.providerPaymentId! };
}

test('3-D Secure passed: a signed webhook resumes the checkout, which captures and confirms; a forged one is 401', async () => {
  const { p, orderId, intent } = await challengedOrder();
  const payload = eventFor('payment_intent.amount_capturable_updated', {
    id: intent,
    object: 'payment_intent',
    status: 'requires_capture',
  });

  const forged = await post(payload, Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_other' }));
  expect(forged.status).toBe(401);
  expect(forged.headers.get('content-type')).toContain('application/problem+json');
  expect(await paymentOf(h, orderId)).toMatchObject({ status: 'requires_action' });

  // The customer passed the challenge: Stripe now holds the intent as an authorization, and says so.
  stripe.use('authorized');
  const from = stripe.requests.length;
  const ok = await post(payload, signed(payload));
  expect(ok.status).toBe(200);
  expect(ok.body).toEqual({ received: true, ignored: false, orderId });
  await waitForHistoryEvent(
    checkoutHandle(h, orderId),
    'the paymentConfirmed signal',
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName === PAYMENT_CONFIRMED_SIGNAL,
  );

  expect(await waitForStatus(h, orderId, ['confirmed'])).toMatchObject({ paymentStatus: 'captured' });
  await waitForWorkflowDone(h, orderId);
  // The checkout trusted the webhook only as a nudge: it read the intent from Stripe before capturing it.
  const calls = stripe.requests.slice(from).filter((r) => r.path.startsWith(`/v1/payment_intents/${intent}`));
  expect(calls[0]).toMatchObject({ method: 'GET', path: `/v1/payment_intents/${intent}` });
  expect(calls.filter((r) => r.method === 'POST').map((r) => [r.path, r.idempotencyKey])).toEqual([
    [`/v1/payment_intents/${intent}/capture`, paymentKey(checkoutWorkflowId(orderId), 'capture')],
  ]);
  expect(await paymentOf(h, orderId)).toMatchObject({ status: 'captured', amountCents: PRICE });
  const types = await events(h, orderId);
  expect(types).toEqual(
    expect.arrayContaining(['payment.action_required', 'payment.authorized', 'payment.processed', 'order.confirmed']),
  );
  expect(types.indexOf('payment.action_required')).toBeLessThan(types.indexOf('payment.authorized'));
  expect(await stockOf(h, p)).toBe(1);
});

test('a customer who cancels during the 3-D Secure challenge gets the PaymentIntent voided; stock back', async () => {
  const { who, p, orderId, intent } = await challengedOrder();
  const from = stripe.requests.length;
  const res = await h.call('POST', `/orders/${orderId}/cancel`, { token: who.token, body: {} });
  expect(res.status).toBe(200);
  expect(await waitForStatus(h, orderId, ['cancelled'])).toMatchObject({ paymentStatus: 'voided' });
  await waitForWorkflowDone(h, orderId);
  const calls = stripe.requests.slice(from).filter((r) => r.path.startsWith(`/v1/payment_intents/${intent}`));
  expect(calls.map((r) => [r.method, r.path, r.idempotencyKey])).toEqual([
    ['GET', `/v1/payment_intents/${intent}`, undefined],
    ['POST', `/v1/payment_intents/${intent}/cancel`, paymentKey(checkoutWorkflowId(orderId), 'void')],
  ]);
  expect(calls[1]!.params.get('cancellation_reason')).toBe('abandoned');
  const types = await events(h, orderId);
  expect(types).toEqual(expect.arrayContaining(['payment.voided', 'order.cancelled']));
  expect(types).not.toContain('payment.processed');
  expect(await stockOf(h, p)).toBe(2);
});

test('3-D Secure failed: a signed payment_failed ends the checkout as declined with its code; intent voided', async () => {
  const { p, orderId, intent } = await challengedOrder();
  const payload = eventFor('payment_intent.payment_failed', {
    id: intent,
    object: 'payment_intent',
    status: 'requires_payment_method',
    last_payment_error: { code: 'card_declined', decline_code: 'authentication_required' },
  });
  const from = stripe.requests.length;
  const res = await post(payload, signed(payload));
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ received: true, ignored: false, orderId });
  expect(await waitForStatus(h, orderId, ['failed'])).toMatchObject({
    failureReason: 'payment_declined:authentication_required',
  });
  await waitForWorkflowDone(h, orderId);
  const calls = stripe.requests.slice(from).filter((r) => r.path.startsWith(`/v1/payment_intents/${intent}`));
  expect(calls.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([`/v1/payment_intents/${intent}/cancel`]);
  const types = await events(h, orderId);
  expect(types).toEqual(expect.arrayContaining(['payment.voided', 'order.failed']));
  expect(types).not.toContain('payment.authorized');
  expect(await stockOf(h, p)).toBe(2);
});

test('events the workflow does not take are acknowledged and ignored', async () => {
  for (const [type, object] of [
    ['charge.refunded', { id: 'ch_1', object: 'charge', payment_intent: 'pi_unknown' }],
    ['payment_intent.canceled', { id: 'pi_unknown', object: 'payment_intent' }],
  ] as const) {
    const payload = eventFor(type, object);
    const res = await post(payload, signed(payload));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, ignored: true, orderId: null });
  }
});
