/**
 * POST /payments/stripe/webhook: Stripe's event callback, when PAYMENT_PROVIDER=stripe. Authenticated by the SDK's
 * Stripe-Signature check against STRIPE_WEBHOOK_SECRET, then routed like POST /payments/webhook: an intent the
 * customer authorized (3-D Secure done) signals the order's workflow (paymentConfirmed), one whose authentication
 * failed signals paymentFailed with Stripe's decline code.
 */
import Stripe from 'stripe';
import type { AppDeps } from '../env';
import { createRouter } from '../openapi';
import { unauthorized } from '../problem';
import {
  orderOfPayment,
  paymentWebhookRoute,
  signalPaymentConfirmed,
  signalPaymentFailed,
} from '../orders/payment-webhook';

const route = paymentWebhookRoute({
  path: '/payments/stripe/webhook',
  summary: 'Stripe event callback (Stripe-Signature, verified with STRIPE_WEBHOOK_SECRET)',
  description:
    "payment_intent.amount_capturable_updated and payment_intent.succeeded signal the order's workflow " +
    '(paymentConfirmed); payment_intent.payment_failed signals paymentFailed with the decline code, which ends a ' +
    'checkout waiting for 3-D Secure as declined. payment_intent.canceled and charge.refunded are acknowledged and ' +
    "logged: the workflow's own calls decide those. Repeats are harmless.",
  problems: [401],
});

/** With manual capture, a 3-D Secure success is amount_capturable_updated; succeeded follows a capture. */
const AUTHORIZED = new Set(['payment_intent.amount_capturable_updated', 'payment_intent.succeeded']);

export function stripeWebhookRoutes(deps: AppDeps) {
  const router = createRouter();
  const secret = deps.config.payment.stripe?.webhookSecret;
  if (!secret) return router;

  router.openapi(route, async (c) => {
    // The signature covers the exact bytes, so read the raw body before parsing anything.
    const raw = await c.req.text();
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(raw, c.req.header('stripe-signature') ?? '', secret);
    } catch (err) {
      throw unauthorized(`Stripe signature rejected: ${err instanceof Error ? err.message : String(err)}.`);
    }
    const object = event.data.object as {
      object?: string;
      id?: string;
      payment_intent?: unknown;
      last_payment_error?: { decline_code?: string; code?: string } | null;
    };
    const paymentId =
      object.object === 'payment_intent'
        ? object.id
        : typeof object.payment_intent === 'string'
          ? object.payment_intent
          : undefined;
    const orderId = paymentId ? await orderOfPayment(deps.db, paymentId) : null;
    const ignored = (why: string) => {
      c.var.log.info({ orderId, type: event.type, eventId: event.id, why }, 'stripe webhook ignored');
      return c.json({ received: true, ignored: true, orderId }, 200);
    };
    const failed = event.type === 'payment_intent.payment_failed';
    if (!failed && !AUTHORIZED.has(event.type)) return ignored('event type not routed to the workflow');
    if (!orderId) return ignored('unknown payment');
    const error = object.last_payment_error;
    const declineCode = error?.decline_code ?? error?.code ?? undefined;
    const signalled = failed
      ? await signalPaymentFailed(deps.temporal, orderId, { paymentId, declineCode })
      : await signalPaymentConfirmed(deps.temporal, orderId, paymentId);
    if (!signalled) return ignored('the order workflow is closed or unknown');
    c.var.log.info({ orderId, eventId: event.id, type: event.type }, 'stripe payment event signalled');
    return c.json({ received: true, ignored: false, orderId }, 200);
  });

  return router;
}
