/** Orders: read one (owner or admin), list (own; admin all), timeline, and cancel through the workflow's Update. */
import { createRoute } from '@hono/zod-openapi';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { CANCEL_UPDATE, checkoutWorkflowId, type CancelRequest, type CheckoutStatus } from '../../contract';
import { requireUser } from '../auth';
import type { AppDeps } from '../env';
import { BEARER, createRouter } from '../openapi';
import { conflict, problemResponses } from '../problem';
import { findOrder } from '../orders/lookup';
import { logOrder } from '../request-log';
import {
  CancelBodySchema,
  CancelResultSchema,
  EventsSchema,
  OrderIdParamSchema,
  OrderListQuerySchema,
  OrderPageSchema,
  OrderSchema,
} from '../orders/schemas';
import { listOrders, orderView, timeline } from '../orders/view';

const ok = <T>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const getRoute = createRoute({
  method: 'get',
  path: '/orders/{id}',
  tags: ['orders'],
  summary: 'One order: status, snapshot lines, totals, payment state, shipping and timeline',
  security: BEARER,
  request: { params: OrderIdParamSchema },
  responses: { 200: ok(OrderSchema, 'The order'), ...problemResponses(400, 401, 404) },
});

const listRoute = createRoute({
  method: 'get',
  path: '/orders',
  tags: ['orders'],
  summary: "The caller's orders, newest first (admin: everyone's), cursor-paginated",
  security: BEARER,
  request: { query: OrderListQuerySchema },
  responses: { 200: ok(OrderPageSchema, 'A page of orders'), ...problemResponses(400, 401) },
});

const eventsRoute = createRoute({
  method: 'get',
  path: '/orders/{id}/events',
  tags: ['orders'],
  summary: "The order's timeline, oldest first",
  security: BEARER,
  request: { params: OrderIdParamSchema },
  responses: { 200: ok(EventsSchema, 'The timeline'), ...problemResponses(400, 401, 404) },
});

const cancelRoute = createRoute({
  method: 'post',
  path: '/orders/{id}/cancel',
  tags: ['orders'],
  summary: 'Cancel: before capture voids and releases; after confirmation (within the window) refunds and restocks',
  security: BEARER,
  request: {
    params: OrderIdParamSchema,
    body: { required: false, content: { 'application/json': { schema: CancelBodySchema } } },
  },
  responses: {
    200: ok(CancelResultSchema, 'The resulting status'),
    ...problemResponses(400, 401, 404, 409, 413, 415, 503),
  },
});

export function ordersRoutes(deps: AppDeps) {
  const router = createRouter();

  router.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    logOrder(c, id);
    const found = await findOrder(deps, requireUser(c), id);
    return c.json(await orderView(deps.db, found), 200);
  });

  router.openapi(listRoute, async (c) => {
    const user = requireUser(c);
    const q = c.req.valid('query');
    const page = await listOrders(deps.db, { ...q, customerId: user.role === 'admin' ? undefined : user.sub });
    return c.json(page, 200);
  });

  router.openapi(eventsRoute, async (c) => {
    const { id } = c.req.valid('param');
    logOrder(c, id);
    const found = await findOrder(deps, requireUser(c), id);
    const orderId = found.kind === 'row' ? found.row.id : found.orderId;
    return c.json({ orderId, items: found.kind === 'row' ? await timeline(deps.db, orderId) : [] }, 200);
  });

  router.openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid('param');
    logOrder(c, id);
    const found = await findOrder(deps, requireUser(c), id);
    const orderId = found.kind === 'row' ? found.row.id : found.orderId;
    const status = found.kind === 'row' ? found.row.status : found.status;
    if (status === 'failed' || status === 'cancelled') throw conflict(`The order is already ${status}.`);
    let body: CancelRequest = {};
    if (c.req.header('content-length') !== '0' && c.req.raw.body)
      body = (c.req.valid('json') as CancelRequest | undefined) ?? {};
    let result: CheckoutStatus;
    c.var.log.info({ orderId, workflowId: checkoutWorkflowId(orderId) }, 'cancel requested');
    try {
      result = await deps.temporal.workflow
        .getHandle(checkoutWorkflowId(orderId))
        .executeUpdate<CheckoutStatus, [CancelRequest]>(CANCEL_UPDATE, { args: [body] });
    } catch (err) {
      // Rejected by the validator, or the workflow is closed (the refund window has passed).
      if (
        err instanceof WorkflowUpdateFailedError ||
        err instanceof WorkflowNotFoundError ||
        isClosedWorkflowError(err)
      ) {
        throw conflict('The order can no longer be cancelled.');
      }
      throw err;
    }
    return c.json(
      { orderId, status: result.status, paymentState: result.paymentState, failureReason: result.failureReason },
      200,
    );
  });

  return router;
}

function isClosedWorkflowError(err: unknown): boolean {
  return err instanceof Error && /already completed|workflow execution already completed/i.test(err.message);
}
