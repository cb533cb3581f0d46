/**
 * 3-D Secure with PAYMENT_PROVIDER=stripe: the authorization needs customer action, and Stripe's signed webhook
 * (Stripe-Signature, signed here with the SDK's generateTestHeaderString) reaches the order's workflow as the
 * paymentConfirmed signal. stripe-mock keeps no state: the intent it serves still requires action after the webhook,
 * so the confirmation activity that follows cannot complete against it (docs/payments.md).
 */
import Stripe from 'stripe';
import { eq } from 'drizzle-orm';
import { payments } from '../../db/schema';
import { PAYMENT_CONFIRMED_SIGNAL } from '../../contract';
import { startHarness, type Harness } from '../support/harness';
import { startStripeMock, type StripeMock } from '../support/stripe-mock';
import { checkoutHandle, placeOrder, seedProduct, shopper, waitForHistoryEvent, waitForStatus } from './helpers';

const SECRET = 'whsec_orderly_test';
let mock: StripeMock;
let h: Harness;

beforeAll(async () => {
  mock = await startStripeMock({
    status: 'requires_action',
    amount: 1999,
    last_payment_error: null,
    next_action: { type: 'use_stripe_sdk', use_stripe_sdk: {} },
  });
  h = await startHarness({
    env: {
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_orderly',
      STRIPE_WEBHOOK_SECRET: SECRET,
      STRIPE_API_BASE: mock.apiBase,
    },
  });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await mock?.stop();
});

const eventFor = (type: string, object: Record<string, unknown>) =>
  JSON.stringify({ id: `evt_${Date.now()}`, object: 'event', type, data: { object }, api_version: null });

const post = (payload: string, signature: string) =>
  h.call('POST', '/payments/stripe/webhook', {
    body: payload,
    headers: { 'stripe-signature': signature, 'content-type': 'application/json' },
  });

test('a signed payment_intent.amount_capturable_updated signals the waiting checkout; a bad signature is 401', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, new Map(), { stock: 2, priceCents: 1999 });
  const orderId = await placeOrder(h, who, p);
  await waitForStatus(h, orderId, ['awaiting_payment']);
  const [row] = await h.db.db.select().from(payments).where(eq(payments.orderId, orderId));
  expect(row).toMatchObject({ provider: 'stripe', status: 'requires_action' });
  const payload = eventFor('payment_intent.amount_capturable_updated', {
    id: row!.providerPaymentId,
    object: 'payment_intent',
    status: 'requires_capture',
  });

  const forged = await post(payload, Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_other' }));
  expect(forged.status).toBe(401);
  expect(forged.headers.get('content-type')).toContain('application/problem+json');

  const ok = await post(payload, Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }));
  expect(ok.status).toBe(200);
  expect(ok.body).toEqual({ received: true, ignored: false, orderId });
  const handle = checkoutHandle(h, orderId);
  await waitForHistoryEvent(
    handle,
    'the paymentConfirmed signal',
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName === PAYMENT_CONFIRMED_SIGNAL,
  );
  await handle.terminate('stripe-mock cannot move the intent to requires_capture');
});

test('events the workflow does not take are acknowledged and ignored', async () => {
  for (const [type, object] of [
    ['charge.refunded', { id: 'ch_1', object: 'charge', payment_intent: 'pi_unknown' }],
    ['payment_intent.canceled', { id: 'pi_unknown', object: 'payment_intent' }],
  ] as const) {
    const payload = eventFor(type, object);
    const res = await post(payload, Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, ignored: true, orderId: null });
  }
});
