/**
 * The Stripe provider against stripe-mock: every call is validated against Stripe's OpenAPI spec by the mock, and the
 * answers have Stripe's shapes. stripe-mock keeps no state, so each instance answers every PaymentIntent with the
 * state its fixtures give; the stateful fault scenarios stay with the sandbox (docs/payments.md).
 */
import Stripe from 'stripe';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../lib/config';
import { PaymentDeclinedError } from '../../activities/payments/provider';
import { createStripeClient, createStripeProvider, declineFrom } from '../../activities/payments/stripe';
import { createTestDb, type TestDb } from '../support/db';
import { startStripeMock, type StripeMock } from '../support/stripe-mock';

let db: TestDb;
let authorizing: StripeMock;
let declining: StripeMock;
let challenging: StripeMock;

beforeAll(async () => {
  db = await createTestDb();
  [authorizing, declining, challenging] = await Promise.all([
    // An authorization of the amount the tests ask for (stripe-mock echoes a create's amount, not a capture's).
    startStripeMock({
      status: 'requires_capture',
      amount: 2800,
      amount_capturable: 2800,
      amount_received: 0,
      last_payment_error: null,
      next_action: null,
    }),
    startStripeMock({
      status: 'requires_payment_method',
      last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' },
      next_action: null,
    }),
    startStripeMock({
      status: 'requires_action',
      last_payment_error: null,
      next_action: { type: 'use_stripe_sdk', use_stripe_sdk: {} },
    }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([authorizing?.stop(), declining?.stop(), challenging?.stop()]);
  await db?.close();
});

/** A provider on the given mock, and every request its client sent (method, path, idempotency key). */
function providerOn(mock: StripeMock) {
  const client = createStripeClient({ secretKey: 'sk_test_orderly', apiBase: mock.apiBase });
  const sent: { method: string; path: string; idempotencyKey?: string; status: number }[] = [];
  client.on('response', (e: Stripe.ResponseEvent) =>
    sent.push({ method: e.method, path: e.path, idempotencyKey: e.idempotency_key, status: e.status }),
  );
  return { provider: createStripeProvider({ secretKey: 'unused', client, db: db.db }), sent };
}

const authorizeReq = (key = `order-${randomUUID()}:authorize`) => ({
  idempotencyKey: key,
  token: 'tok_visa',
  amountCents: 2800,
  currency: 'EUR',
});

test('authorize turns the token into a PaymentMethod and a manual-capture PaymentIntent, each under a derived key', async () => {
  const { provider, sent } = providerOn(authorizing);
  const req = authorizeReq();
  const payment = await provider.authorize(req);
  expect(payment).toMatchObject({ status: 'authorized', amountCents: 2800, currency: 'eur', capturedCents: 0 });
  expect(payment.id).toMatch(/^pi_/);
  expect(sent).toEqual([
    {
      method: 'POST',
      path: '/v1/payment_methods',
      idempotencyKey: `${req.idempotencyKey}:payment_method`,
      status: 200,
    },
    { method: 'POST', path: '/v1/payment_intents', idempotencyKey: req.idempotencyKey, status: 200 },
  ]);
  // A retry (Temporal's, after a lost answer) sends the very same keys, so Stripe replays instead of charging again.
  await provider.authorize(req);
  expect(sent.slice(2).map((s) => s.idempotencyKey)).toEqual(sent.slice(0, 2).map((s) => s.idempotencyKey));
});

test('a PaymentMethod id (pm_...) is used as it is', async () => {
  const { provider, sent } = providerOn(authorizing);
  await provider.authorize({ ...authorizeReq(), token: 'pm_card_visa' });
  expect(sent.map((s) => s.path)).toEqual(['/v1/payment_intents']);
});

test('capture, void and refund each send their own idempotency key and report the new state', async () => {
  const { provider, sent } = providerOn(authorizing);
  const { id } = await provider.authorize(authorizeReq());
  sent.length = 0;
  await expect(provider.capture({ paymentId: id, idempotencyKey: 'k:capture' })).resolves.toMatchObject({
    id,
    status: 'captured',
    capturedCents: 2800,
  });
  await expect(provider.refund({ paymentId: id, idempotencyKey: 'k:refund' })).resolves.toMatchObject({
    id,
    status: 'refunded',
  });
  await expect(provider.void({ paymentId: id, idempotencyKey: 'k:void' })).resolves.toMatchObject({
    id,
    status: 'voided',
  });
  const mutating = sent.filter((s) => s.method === 'POST');
  expect(mutating.map((s) => [s.path, s.idempotencyKey])).toEqual([
    [`/v1/payment_intents/${id}/capture`, 'k:capture'],
    ['/v1/refunds', 'k:refund'],
    [`/v1/payment_intents/${id}/cancel`, 'k:void'],
  ]);
});

test('a confirmation whose card failed is PaymentDeclined with Stripe decline code', async () => {
  const { provider } = providerOn(declining);
  const err = await provider.authorize(authorizeReq()).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PaymentDeclinedError);
  expect(err).toMatchObject({ code: 'insufficient_funds', paymentId: expect.stringMatching(/^pi_/) });
});

test("Stripe's card error (402) maps to PaymentDeclined with its decline code; other errors stay retryable", () => {
  // stripe-mock never answers 402, so the test builds the error the SDK throws on one.
  const card = new Stripe.errors.StripeCardError({
    type: 'card_error',
    code: 'card_declined',
    decline_code: 'do_not_honor',
    payment_intent: { id: 'pi_declined' } as Stripe.PaymentIntent,
  });
  expect(declineFrom(card)).toMatchObject({ code: 'do_not_honor', paymentId: 'pi_declined' });
  expect(declineFrom(new Stripe.errors.StripeAPIError({ type: 'api_error', message: 'boom' }))).toBeUndefined();
});

test('3-D Secure: an intent that requires action is reported as such, not as authorized', async () => {
  const { provider } = providerOn(challenging);
  await expect(provider.authorize(authorizeReq())).resolves.toMatchObject({ status: 'requires_action' });
});

test('reconciliation searches by the key in metadata and ignores intents that do not carry it', async () => {
  const { provider, sent } = providerOn(authorizing);
  const key = `order-${randomUUID()}:authorize`;
  // stripe-mock's search answers its fixture intent, whose metadata lacks the key: not this order's payment.
  await expect(provider.retrieve(key)).resolves.toBeNull();
  expect(sent).toHaveLength(1);
  expect(sent[0]!.method).toBe('GET');
  const url = new URL(sent[0]!.path, 'http://x');
  expect(url.pathname).toBe('/v1/payment_intents/search');
  expect(url.searchParams.get('query')).toBe(`metadata['orderly_idempotency_key']:'${key}'`);
});

test('PAYMENT_PROVIDER=stripe is refused without its secrets, and the sandbox stays the default', () => {
  expect(loadConfig({}).payment).toMatchObject({ provider: 'sandbox' });
  expect(loadConfig({}).payment.stripe).toBeUndefined();
  expect(() => loadConfig({ PAYMENT_PROVIDER: 'stripe' })).toThrow(
    /STRIPE_SECRET_KEY \(required when PAYMENT_PROVIDER=stripe\); STRIPE_WEBHOOK_SECRET/,
  );
  const config = loadConfig({
    PAYMENT_PROVIDER: 'stripe',
    STRIPE_SECRET_KEY: 'sk_test_x',
    STRIPE_WEBHOOK_SECRET: 'whsec_x',
    STRIPE_API_BASE: 'http://127.0.0.1:12111',
  });
  expect(config.payment.stripe).toEqual({
    secretKey: 'sk_test_x',
    webhookSecret: 'whsec_x',
    apiBase: 'http://127.0.0.1:12111',
  });
});
