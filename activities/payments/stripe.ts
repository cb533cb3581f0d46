/**
 * The Stripe provider: PaymentIntents with manual capture through Stripe's official SDK. Every mutating call carries
 * an idempotency key the activity derives from the workflow id and step, so a Temporal retry replays Stripe's first
 * answer instead of charging twice. Retries are Temporal's: the SDK's own are off.
 */
import Stripe from 'stripe';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { payments } from '../../db/schema';
import {
  PaymentDeclinedError,
  PaymentStateError,
  type AuthorizeRequest,
  type PaymentProvider,
  type ProviderPayment,
} from './provider';

export interface StripeProviderOptions {
  secretKey: string;
  /** Another API base than Stripe's (stripe-mock in tests), e.g. http://127.0.0.1:12111. */
  apiBase?: string;
  db: Db;
  /** Per-request timeout; a timed-out call is retried by Temporal with the same key. */
  timeoutMs?: number;
  /** A client built by createStripeClient, for callers that watch its requests (tests); else one is built here. */
  client?: Stripe;
}

/** The metadata key the authorization's idempotency key is stored under, so reconciliation can search for it. */
export const STRIPE_KEY_METADATA = 'orderly_idempotency_key';

export function createStripeClient(opts: Pick<StripeProviderOptions, 'secretKey' | 'apiBase' | 'timeoutMs'>): Stripe {
  const base = opts.apiBase ? new URL(opts.apiBase) : undefined;
  return new Stripe(opts.secretKey, {
    maxNetworkRetries: 0,
    timeout: opts.timeoutMs ?? 20_000,
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
}

const declineCodeOf = (pi: Stripe.PaymentIntent): string =>
  pi.last_payment_error?.decline_code ?? pi.last_payment_error?.code ?? 'card_declined';

/** Stripe's view of a PaymentIntent in the seam's terms; a refund shows on its latest charge when expanded. */
export function toProviderPayment(pi: Stripe.PaymentIntent): ProviderPayment {
  const charge = typeof pi.latest_charge === 'object' && pi.latest_charge ? pi.latest_charge : undefined;
  const refundedCents = charge?.amount_refunded ?? 0;
  const base = { id: pi.id, amountCents: pi.amount, currency: pi.currency, capturedCents: pi.amount_received };
  switch (pi.status) {
    case 'requires_capture':
      return { ...base, status: 'authorized', capturedCents: 0, refundedCents: 0 };
    case 'requires_action':
    case 'requires_confirmation':
      return { ...base, status: 'requires_action', capturedCents: 0, refundedCents: 0 };
    case 'succeeded':
      return { ...base, status: refundedCents > 0 ? 'refunded' : 'captured', refundedCents };
    case 'canceled':
      return { ...base, status: 'voided', capturedCents: 0, refundedCents: 0 };
    case 'requires_payment_method':
      // After a confirmation the card failed: Stripe wants another payment method, so this one was declined.
      return { ...base, status: 'declined', capturedCents: 0, refundedCents: 0, declineCode: declineCodeOf(pi) };
    default:
      // 'processing': not decided yet; the caller retries (or reconciliation asks again later).
      throw new Error(`stripe: payment intent ${pi.id} is ${pi.status}`);
  }
}

/** Card errors (402) are declines; a payment method Stripe refuses as invalid cannot succeed on retry either. */
export function declineFrom(err: unknown): PaymentDeclinedError | undefined {
  if (err instanceof Stripe.errors.StripeCardError) {
    return new PaymentDeclinedError(err.decline_code ?? err.code ?? 'card_declined', err.payment_intent?.id ?? '');
  }
  if (err instanceof Stripe.errors.StripeInvalidRequestError && err.param?.startsWith('payment_method')) {
    return new PaymentDeclinedError(err.code ?? 'invalid_payment_method', err.payment_intent?.id ?? '');
  }
  return undefined;
}

export function createStripeProvider(opts: StripeProviderOptions): PaymentProvider {
  const stripe = opts.client ?? createStripeClient(opts);
  const expand = ['latest_charge'];

  const get = async (id: string) => toProviderPayment(await stripe.paymentIntents.retrieve(id, { expand }));

  /**
   * Runs a state change. Stripe answers a change with 200 only once it happened, so the answer is the new state. When
   * Stripe refuses it because the intent is elsewhere (a replay under a new key, or a change that already happened),
   * the intent's current state decides: already there is a no-op, anything else a state error.
   */
  const move = async (
    id: string,
    done: ProviderPayment['status'][],
    call: () => Promise<ProviderPayment>,
  ): Promise<ProviderPayment> => {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeInvalidRequestError)) throw err;
      const current = await get(id);
      if (done.includes(current.status)) return current;
      throw new PaymentStateError(`stripe: payment ${id} is ${current.status}: ${err.message}`);
    }
  };

  const answer = (pi: Stripe.PaymentIntent, status: ProviderPayment['status'], captured: number, refunded = 0) => ({
    id: pi.id,
    status,
    amountCents: pi.amount,
    currency: pi.currency,
    capturedCents: captured,
    refundedCents: refunded,
  });

  return {
    name: 'stripe',

    async authorize(req: AuthorizeRequest) {
      // Checkout tokens are Stripe's: a PaymentMethod (pm_...) as Stripe.js creates today, or a legacy card token
      // (tok_...) turned into a PaymentMethod first, under its own derived key.
      let paymentMethod = req.token;
      try {
        if (!req.token.startsWith('pm_')) {
          const pm = await stripe.paymentMethods.create(
            { type: 'card', card: { token: req.token } },
            { idempotencyKey: `${req.idempotencyKey}:payment_method` },
          );
          paymentMethod = pm.id;
        }
        const pi = await stripe.paymentIntents.create(
          {
            amount: req.amountCents,
            currency: req.currency.toLowerCase(),
            capture_method: 'manual',
            confirm: true,
            payment_method: paymentMethod,
            // Cards only in effect: no redirect-based method, so no return_url.
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            metadata: { [STRIPE_KEY_METADATA]: req.idempotencyKey },
            expand,
          },
          { idempotencyKey: req.idempotencyKey },
        );
        const payment = toProviderPayment(pi);
        if (payment.status === 'declined') throw new PaymentDeclinedError(payment.declineCode!, payment.id);
        return payment;
      } catch (err) {
        throw declineFrom(err) ?? err;
      }
    },

    /** After 3-D Secure Stripe moves the intent to requires_capture itself; one still waiting for it is confirmed. */
    async confirm({ paymentId }) {
      const current = await get(paymentId);
      if (current.status === 'authorized' || current.status === 'captured') return current;
      const pi = await stripe.paymentIntents.retrieve(paymentId);
      if (pi.status === 'requires_confirmation') {
        await stripe.paymentIntents.confirm(paymentId, {}, { idempotencyKey: `${paymentId}:confirm` });
        return get(paymentId);
      }
      throw new PaymentStateError(`stripe: payment ${paymentId} is ${pi.status}, not confirmed by the customer`);
    },

    capture: ({ paymentId, idempotencyKey }) =>
      move(paymentId, ['captured', 'refunded'], async () => {
        const pi = await stripe.paymentIntents.capture(paymentId, {}, { idempotencyKey });
        return answer(pi, 'captured', pi.amount_received || pi.amount);
      }),

    void: ({ paymentId, idempotencyKey }) =>
      move(paymentId, ['voided', 'declined'], async () => {
        const pi = await stripe.paymentIntents.cancel(
          paymentId,
          { cancellation_reason: 'abandoned' },
          { idempotencyKey },
        );
        return answer(pi, 'voided', 0);
      }),

    refund: ({ paymentId, idempotencyKey }) =>
      move(paymentId, ['refunded'], async () => {
        const refund = await stripe.refunds.create(
          { payment_intent: paymentId, expand: ['payment_intent'] },
          { idempotencyKey },
        );
        if (refund.status === 'failed' || refund.status === 'canceled') {
          throw new PaymentStateError(`stripe: refund ${refund.id} of ${paymentId} is ${refund.status}`);
        }
        const pi =
          typeof refund.payment_intent === 'object' && refund.payment_intent
            ? refund.payment_intent
            : await stripe.paymentIntents.retrieve(paymentId);
        return answer(pi, 'refunded', pi.amount_received || refund.amount, refund.amount);
      }),

    /**
     * Reconciliation: the intent whose id the payments row holds, else the one Stripe finds by the key in its
     * metadata (Stripe's search lags writes by up to a minute; the activity's retries cover that).
     */
    async retrieve(key) {
      const [row] = await opts.db
        .select({ id: payments.providerPaymentId })
        .from(payments)
        .where(eq(payments.idempotencyKey, key));
      if (row?.id) return get(row.id);
      const found = await stripe.paymentIntents.search({
        query: `metadata['${STRIPE_KEY_METADATA}']:'${key.replace(/'/g, "\\'")}'`,
        limit: 1,
        expand: ['data.latest_charge'],
      });
      const pi = found.data.find((p) => p.metadata?.[STRIPE_KEY_METADATA] === key);
      return pi ? toProviderPayment(pi) : null;
    },
  };
}
