/**
 * What the payment providers' callbacks share (POST /payments/webhook for the sandbox, /payments/stripe/webhook for
 * Stripe): the route's shape and receipt, finding the order by the provider's payment id, and the paymentConfirmed
 * signal into its workflow. Each route keeps its own signature check and event types.
 */
import { createRoute } from '@hono/zod-openapi';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { payments } from '../../db/schema';
import { PAYMENT_CONFIRMED_SIGNAL, PAYMENT_FAILED_SIGNAL, checkoutWorkflowId } from '../../contract';
import { problemResponses } from '../problem';
import { WebhookReceiptSchema } from './schemas';

/** A provider callback's route: 200 with the receipt, and the problems its checks answer. */
export function paymentWebhookRoute(opts: { path: string; summary: string; description: string; problems: number[] }) {
  return createRoute({
    method: 'post',
    path: opts.path,
    tags: ['payments'],
    summary: opts.summary,
    description: opts.description,
    responses: {
      200: { description: 'Received', content: { 'application/json': { schema: WebhookReceiptSchema } } },
      ...problemResponses(...opts.problems),
    },
  });
}

/** The order whose payment the provider knows by this id, or null. */
export async function orderOfPayment(db: Db, paymentId: string): Promise<string | null> {
  const [p] = await db
    .select({ orderId: payments.orderId })
    .from(payments)
    .where(eq(payments.providerPaymentId, paymentId));
  return p?.orderId ?? null;
}

/** Tells the order's workflow the payment was confirmed; false when that workflow is closed or unknown. */
export function signalPaymentConfirmed(temporal: Client, orderId: string, paymentId?: string): Promise<boolean> {
  return signalCheckout(temporal, orderId, PAYMENT_CONFIRMED_SIGNAL, { paymentId });
}

/** Tells the order's workflow the customer's action failed (a decline with this code); false as above. */
export function signalPaymentFailed(
  temporal: Client,
  orderId: string,
  failure: { paymentId?: string; declineCode?: string },
): Promise<boolean> {
  return signalCheckout(temporal, orderId, PAYMENT_FAILED_SIGNAL, failure);
}

async function signalCheckout(temporal: Client, orderId: string, name: string, arg: object): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(checkoutWorkflowId(orderId)).signal(name, arg);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
