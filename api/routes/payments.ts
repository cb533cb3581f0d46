/**
 * POST /payments/webhook: the payment provider's callback. Authenticated by its HMAC signature (not a user token)
 * and routed into the order's workflow as the paymentConfirmed signal.
 */
import type { AppDeps } from '../env';
import { createRouter, zodProblems } from '../openapi';
import { badRequest, unauthorized } from '../problem';
import { WebhookBodySchema } from '../orders/schemas';
import { SIGNATURE_HEADER, verifyWebhook } from '../orders/webhook-signature';
import { orderOfPayment, paymentWebhookRoute, signalPaymentConfirmed } from '../orders/payment-webhook';
import { logOrder } from '../request-log';

const route = paymentWebhookRoute({
  path: '/payments/webhook',
  summary: 'Payment provider callback (HMAC-signed: Orderly-Signature: t=<unix>,v1=<hex sha256 of "<t>.<body>">)',
  description:
    "payment_intent.succeeded signals the order's workflow (paymentConfirmed). Repeats are harmless; a callback for an " +
    'order whose workflow has closed, or of another type, answers 200 {ignored: true}.',
  problems: [400, 401, 413, 415],
});

const SUCCEEDED = 'payment_intent.succeeded';

export function paymentsRoutes(deps: AppDeps) {
  const router = createRouter();

  router.openapi(route, async (c) => {
    // The signature covers the exact bytes, so read the raw body before parsing anything.
    const raw = await c.req.text();
    const check = verifyWebhook(
      deps.config.payment.webhookSecret,
      raw,
      c.req.header(SIGNATURE_HEADER),
      deps.clock().getTime(),
    );
    if (!check.ok) throw unauthorized(`Webhook signature rejected: ${check.reason}.`);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw badRequest('The request body is not valid JSON.');
    }
    const parsed = WebhookBodySchema.safeParse(json);
    if (!parsed.success) throw badRequest('The webhook body is invalid.', zodProblems(parsed.error));
    const event = parsed.data;
    let orderId = event.data.orderId ?? null;
    if (!orderId && event.data.paymentId) orderId = await orderOfPayment(deps.db, event.data.paymentId);
    if (orderId) logOrder(c, orderId);
    const ignored = (why: string) => {
      c.var.log.info({ type: event.type, why }, 'webhook ignored');
      return c.json({ received: true, ignored: true, orderId }, 200);
    };
    if (event.type !== SUCCEEDED) return ignored('event type not handled');
    if (!orderId) return ignored('unknown payment');
    if (!(await signalPaymentConfirmed(deps.temporal, orderId, event.data.paymentId)))
      return ignored('the order workflow is closed or unknown');
    c.var.log.info('payment confirmation signalled');
    return c.json({ received: true, ignored: false, orderId }, 200);
  });

  return router;
}
