/** POST /checkout: validates the cart, then starts the order's checkout workflow exactly once per Idempotency-Key. */
import { createRoute } from '@hono/zod-openapi';
import {
  InternalConnectionLikeSymbol,
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type InternalConnectionLike,
} from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import {
  CHECKOUT_VERSION,
  CHECKOUT_WORKFLOW_TYPE,
  checkoutWorkflowId,
  ORDER_STATUS,
  type CheckoutInput,
  type CheckoutMemo,
  type OrderStatus,
} from '../../contract';
import { cartLineRows, cartProblemOf, CartProblemSchema } from '../../db/cart-lines';
import { parseOneRow } from '../../db/rows';
import { carts, orders } from '../../db/schema';
import { requireUser } from '../auth';
import type { AppDeps } from '../env';
import { BEARER, createRouter } from '../openapi';
import { HttpProblem, cartTotalTooLarge, conflict, notFound, problemResponses, unprocessable } from '../problem';
import { describeCheckout } from '../orders/lookup';
import { orderIdFor, requestHash } from '../orders/ids';
import { checkoutStartMetadata } from '../orders/workflow-metadata';
import { checkoutReplays, checkoutsAccepted } from '../metrics';
import { logOrder } from '../request-log';
import { AcceptedSchema, CheckoutBodySchema, IdempotencyHeaderSchema } from '../orders/schemas';

/**
 * Eager start: when the Temporal client shares a NativeConnection with a worker in this process (`make start`, the
 * bench), the server hands the checkout's first workflow task back in the start's answer, saving a round trip. The API
 * processes of `make cluster` connect on their own (no worker beside them), and start the usual way.
 */
export function canStartEagerly(client: Client): boolean {
  return (client.connection as InternalConnectionLike)[InternalConnectionLikeSymbol]?.supportsEagerStart === true;
}

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
    202: {
      description: 'Accepted: the checkout workflow started',
      content: { 'application/json': { schema: AcceptedSchema } },
    },
    200: { description: 'Seen before: the same order', content: { 'application/json': { schema: AcceptedSchema } } },
    ...problemResponses(400, 401, 404, 409, 413, 415, 422, 503),
  },
});

const links = (orderId: string) => ({
  self: `/orders/${orderId}`,
  events: `/orders/${orderId}/events`,
  cancel: `/orders/${orderId}/cancel`,
});

/** One row, whatever exists: the order of this key (if any), the cart (if any) and what the cart rule finds wrong
 * with it, another checkout of it. */
const Preflight = z.object({
  existingHash: z.string().nullable(),
  existingStatus: z.enum(ORDER_STATUS).nullable(),
  cartOwner: z.string().nullable(),
  problem: CartProblemSchema,
  inFlight: z.string().nullable(),
  basket: z.object({ items: z.coerce.number(), totalCents: z.coerce.number(), currency: z.string().nullable() }),
});
type Preflight = z.infer<typeof Preflight>;

const keyReused = () =>
  unprocessable('This Idempotency-Key was already used with a different request body.', {
    type: 'https://orderly.dev/problems/idempotency-key-reused',
  });

export function checkoutRoutes(deps: AppDeps) {
  const eager = canStartEagerly(deps.temporal);
  const router = createRouter();

  /**
   * Everything POST /checkout must know before a workflow exists, in one round trip: whether this key's order already
   * exists, the cart's owner and the cart rule's verdict on its lines, and another checkout of the same cart still in
   * flight. The workflow applies the same rule again when it snapshots the cart.
   */
  const preflight = async (orderId: string, cartId: string): Promise<Preflight> =>
    parseOneRow(
      await deps.db.execute(sql`
        select e.request_hash as "existingHash", e.status as "existingStatus", c.customer_id as "cartOwner",
               ${cartProblemOf(sql`(${cartLineRows(sql`c.id`)})`)} as problem,
               (select o.id from ${orders} o
                 where o.cart_id = c.id and o.id <> ${orderId}::uuid and o.status in ('pending', 'awaiting_payment')
                 limit 1) as "inFlight",
               (select json_build_object('items', coalesce(sum(x.quantity), 0), 'currency', min(x.currency),
                                         'totalCents', coalesce(sum(x.price_cents * x.quantity), 0))
                  from (${cartLineRows(sql`c.id`)}) x) as basket
          from (select 1) as one
          left join ${orders} e on e.id = ${orderId}::uuid
          left join ${carts} c on c.id = ${cartId}::uuid`),
      Preflight,
    );

  /**
   * Cart checks that must hold before a workflow exists. The order this request's own key stands for is not "another
   * checkout": if it appeared since the lookup, the workflow start meets it and answers as for any repeat.
   */
  const validateCart = (found: Preflight, customerId: string): void => {
    if (!found.cartOwner || found.cartOwner !== customerId) throw notFound('Cart');
    const { problem } = found;
    if (problem?.kind === 'empty')
      throw unprocessable('The cart is empty.', { type: 'https://orderly.dev/problems/empty-cart' });
    if (problem?.kind === 'unavailable') {
      throw unprocessable(`Some products are no longer sold: ${problem.skus.join(', ')}.`, {
        type: 'https://orderly.dev/problems/product-unavailable',
        skus: problem.skus,
      });
    }
    if (problem?.kind === 'mixed_currencies') throw unprocessable('The cart mixes currencies.');
    if (problem?.kind === 'total_too_large') throw cartTotalTooLarge(problem.totalCents);
    // One checkout of a cart at a time: a second key while the first is in flight would sell the same lines twice.
    if (found.inFlight) {
      throw conflict(`This cart is already being checked out as order ${found.inFlight}; wait for it to finish.`, {
        orderId: found.inFlight,
      });
    }
  };

  router.openapi(route, async (c) => {
    const user = requireUser(c);
    const body = c.req.valid('json');
    const key = c.req.valid('header')['idempotency-key'];
    const orderId = orderIdFor(user.sub, key);
    const hash = requestHash(body);
    const log = logOrder(c, orderId);

    const seen = (status: OrderStatus) => {
      checkoutReplays.inc();
      return c.json({ orderId, status, links: links(orderId) }, 200);
    };

    // A repeat of a finished or running checkout is answered from what exists, before the cart is looked at again.
    const found = await preflight(orderId, body.cartId);
    if (found.existingStatus) {
      if (found.existingHash !== hash) throw keyReused();
      return seen(found.existingStatus);
    }

    validateCart(found, user.sub);

    const input: CheckoutInput = {
      orderId,
      customerId: user.sub,
      idempotencyKey: key,
      requestHash: hash,
      request: body,
      paymentConfirmationTimeout: deps.config.payment.confirmationTimeout,
      cancellationWindow: deps.config.cancellationWindow,
      stuckAfter: deps.config.orderStuckAfter,
      version: CHECKOUT_VERSION,
    };
    const memo: CheckoutMemo = { requestHash: hash, customerId: user.sub };
    const { basket } = found;
    const metadata = checkoutStartMetadata(input, { ...basket, currency: basket.currency ?? 'EUR' });
    try {
      await deps.temporal.workflow.start(CHECKOUT_WORKFLOW_TYPE, {
        taskQueue: deps.config.temporal.taskQueue,
        workflowId: checkoutWorkflowId(orderId),
        args: [input],
        memo: { ...memo },
        ...metadata,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        requestEagerStart: eager,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const wf = await describeCheckout(deps, orderId);
      if (!wf)
        throw new HttpProblem(503, 'The order is being created; retry the same request shortly.', {
          headers: { 'retry-after': '1' },
        });
      if (wf.memo.requestHash !== hash) throw keyReused();
      const [row] = await deps.db.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId));
      return seen(row?.status ?? (wf.running ? 'pending' : 'failed'));
    }
    log.info('checkout accepted');
    checkoutsAccepted.inc();
    c.header('location', `/orders/${orderId}`);
    return c.json({ orderId, status: 'pending' as const, links: links(orderId) }, 202);
  });

  return router;
}
