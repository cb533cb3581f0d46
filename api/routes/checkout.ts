/** POST /checkout: validates the cart, then starts the order's checkout workflow exactly once per Idempotency-Key. */
import { createRoute } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { and, asc, eq, inArray, ne } from 'drizzle-orm';
import { cartLines, carts, orders, products } from '../../db/schema';
import { CHECKOUT_WORKFLOW_TYPE, checkoutWorkflowId, type CheckoutInput, type CheckoutMemo, type OrderStatus } from '../../workflows/types';
import { requireUser } from '../auth';
import type { AppDeps } from '../env';
import { BEARER, createRouter } from '../openapi';
import { HttpProblem, conflict, notFound, problemResponses, unprocessable } from '../problem';
import { describeCheckout } from '../orders/lookup';
import { orderIdFor, requestHash } from '../orders/ids';
import { AcceptedSchema, CheckoutBodySchema, IdempotencyHeaderSchema } from '../orders/schemas';

const route = createRoute({
  method: 'post',
  path: '/checkout',
  tags: ['checkout'],
  summary: 'Place an order from a cart (idempotent per Idempotency-Key)',
  description:
    '202 when a new checkout workflow started; 200 with the same order when the same key and body were seen before; ' +
    '422 when the key was used with a different body. The order reaches a terminal state even if the API dies after the 202.',
  security: BEARER,
  request: {
    headers: IdempotencyHeaderSchema,
    body: { required: true, content: { 'application/json': { schema: CheckoutBodySchema } } },
  },
  responses: {
    202: { description: 'Accepted: the checkout workflow started', content: { 'application/json': { schema: AcceptedSchema } } },
    200: { description: 'Seen before: the same order', content: { 'application/json': { schema: AcceptedSchema } } },
    ...problemResponses(400, 401, 404, 409, 413, 415, 422),
  },
});

const links = (orderId: string) => ({ self: `/orders/${orderId}`, events: `/orders/${orderId}/events`, cancel: `/orders/${orderId}/cancel` });

const keyReused = () =>
  unprocessable('This Idempotency-Key was already used with a different request body.', {
    type: 'https://orderly.dev/problems/idempotency-key-reused',
  });

export function checkoutRoutes(deps: AppDeps) {
  const router = createRouter();

  /**
   * Cart checks that must hold before a workflow exists; the workflow re-checks when it snapshots. The order this
   * request's own key stands for is not "another checkout": if it appeared since the first lookup, the workflow start
   * below meets it and answers as for any repeat (same order, or 422 on another body).
   */
  const validateCart = async (cartId: string, customerId: string, ownOrderId: string): Promise<void> => {
    const [cart] = await deps.db.select().from(carts).where(eq(carts.id, cartId));
    if (!cart || cart.customerId !== customerId) throw notFound('Cart');
    const lines = await deps.db
      .select({ sku: products.sku, active: products.active, archivedAt: products.archivedAt, currency: products.currency })
      .from(cartLines)
      .innerJoin(products, eq(products.id, cartLines.productId))
      .where(eq(cartLines.cartId, cartId))
      .orderBy(asc(cartLines.productId));
    if (!lines.length) throw unprocessable('The cart is empty.', { type: 'https://orderly.dev/problems/empty-cart' });
    const unavailable = lines.filter((l) => !l.active || l.archivedAt).map((l) => l.sku);
    if (unavailable.length) {
      throw unprocessable(`Some products are no longer sold: ${unavailable.join(', ')}.`, {
        type: 'https://orderly.dev/problems/product-unavailable',
        skus: unavailable,
      });
    }
    if (new Set(lines.map((l) => l.currency)).size > 1) throw unprocessable('The cart mixes currencies.');
    // One checkout of a cart at a time: a second key while the first is in flight would sell the same lines twice.
    const [inFlight] = await deps.db
      .select({ id: orders.id })
      .from(orders)
      .where(and(eq(orders.cartId, cartId), ne(orders.id, ownOrderId), inArray(orders.status, ['pending', 'awaiting_payment'])))
      .limit(1);
    if (inFlight) {
      throw conflict(`This cart is already being checked out as order ${inFlight.id}; wait for it to finish.`, {
        orderId: inFlight.id,
      });
    }
  };

  router.openapi(route, async (c) => {
    const user = requireUser(c);
    const body = c.req.valid('json');
    const key = c.req.valid('header')['idempotency-key'];
    const orderId = orderIdFor(user.sub, key);
    const hash = requestHash(body);
    const log = c.var.log.child({ orderId, workflowId: checkoutWorkflowId(orderId) });

    const seen = (status: OrderStatus) => c.json({ orderId, status, links: links(orderId) }, 200);

    // A repeat of a finished or running checkout is answered from what exists, before the cart is looked at again.
    const [existing] = await deps.db
      .select({ requestHash: orders.requestHash, status: orders.status })
      .from(orders)
      .where(eq(orders.id, orderId));
    if (existing) {
      if (existing.requestHash !== hash) throw keyReused();
      return seen(existing.status);
    }

    await validateCart(body.cartId, user.sub, orderId);

    const input: CheckoutInput = {
      orderId,
      customerId: user.sub,
      idempotencyKey: key,
      requestHash: hash,
      request: body,
      paymentConfirmationTimeout: deps.config.payment.confirmationTimeout,
      cancellationWindow: deps.config.cancellationWindow,
    };
    const memo: CheckoutMemo = { requestHash: hash, customerId: user.sub };
    try {
      await deps.temporal.workflow.start(CHECKOUT_WORKFLOW_TYPE, {
        taskQueue: deps.config.temporal.taskQueue,
        workflowId: checkoutWorkflowId(orderId),
        args: [input],
        memo: { ...memo },
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const wf = await describeCheckout(deps, orderId);
      if (!wf) throw new HttpProblem(503, 'The order is being created; retry the same request shortly.', { headers: { 'retry-after': '1' } });
      if (wf.memo.requestHash !== hash) throw keyReused();
      const [row] = await deps.db.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId));
      return seen(row?.status ?? (wf.running ? 'pending' : 'failed'));
    }
    log.info('checkout accepted');
    c.header('location', `/orders/${orderId}`);
    return c.json({ orderId, status: 'pending' as const, links: links(orderId) }, 202);
  });

  return router;
}
