/** Outgoing webhook subscriptions (admin): create, list, read, change, delete, rotate the secret, and the delivery log. */
import { createRoute } from '@hono/zod-openapi';
import type { WebhookSubscriptionChange } from '../../contract';
import { checkWebhookUrl, WebhookUrlRefused, type WebhookUrlPolicy } from '../../lib/webhook-url';
import type { AppDeps } from '../env';
import { adminOnly } from '../guards';
import { BEARER, createRouter } from '../openapi';
import { badRequest, notFound, problemResponses } from '../problem';
import {
  CreateSubscriptionSchema,
  DeliveryPageSchema,
  DeliveryQuerySchema,
  IdParamSchema,
  ListQuerySchema,
  SubscriptionPageSchema,
  SubscriptionSchema,
  SubscriptionWithSecretSchema,
  UpdateSubscriptionSchema,
} from '../webhooks/schemas';
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listDeliveries,
  listSubscriptions,
  rotateSecret,
  subscriptionView,
  updateSubscription,
  withSecret,
} from '../webhooks/store';

const json = <T>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = <T>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const common = { tags: ['webhooks'], security: BEARER, middleware: adminOnly };
const ONE = '/webhooks/subscriptions/{id}';

const createSubscriptionRoute = createRoute({
  ...common,
  method: 'post',
  path: '/webhooks/subscriptions',
  summary: 'Subscribe a URL to order events; the answer holds the signing secret (admin)',
  request: { body: body(CreateSubscriptionSchema) },
  responses: { 201: json(SubscriptionWithSecretSchema, 'Subscribed'), ...problemResponses(400, 401, 403) },
});

const listSubscriptionsRoute = createRoute({
  ...common,
  method: 'get',
  path: '/webhooks/subscriptions',
  summary: 'Webhook subscriptions, newest first, cursor-paginated (admin)',
  request: { query: ListQuerySchema },
  responses: { 200: json(SubscriptionPageSchema, 'A page of subscriptions'), ...problemResponses(400, 401, 403) },
});

const getSubscriptionRoute = createRoute({
  ...common,
  method: 'get',
  path: ONE,
  summary: 'One webhook subscription, without its secret (admin)',
  request: { params: IdParamSchema },
  responses: { 200: json(SubscriptionSchema, 'The subscription'), ...problemResponses(400, 401, 403, 404) },
});

const updateSubscriptionRoute = createRoute({
  ...common,
  method: 'patch',
  path: ONE,
  summary: 'Change the URL, events, description, or enable/disable; enabling clears the failure run (admin)',
  request: { params: IdParamSchema, body: body(UpdateSubscriptionSchema) },
  responses: { 200: json(SubscriptionSchema, 'The changed subscription'), ...problemResponses(400, 401, 403, 404) },
});

const deleteSubscriptionRoute = createRoute({
  ...common,
  method: 'delete',
  path: ONE,
  summary: 'Delete a subscription and its delivery log (admin)',
  request: { params: IdParamSchema },
  responses: { 204: { description: 'Deleted' }, ...problemResponses(400, 401, 403, 404) },
});

const rotateSecretRoute = createRoute({
  ...common,
  method: 'post',
  path: `${ONE}/rotate-secret`,
  summary: 'A new signing secret; the old one also signs until previousSecretExpiresAt (admin)',
  request: { params: IdParamSchema },
  responses: {
    200: json(SubscriptionWithSecretSchema, 'The subscription with its new secret'),
    ...problemResponses(400, 401, 403, 404),
  },
});

const listDeliveriesRoute = createRoute({
  ...common,
  method: 'get',
  path: `${ONE}/deliveries`,
  summary: "A subscription's delivery log, newest first: status, attempts, last error (admin)",
  request: { params: IdParamSchema, query: DeliveryQuerySchema },
  responses: { 200: json(DeliveryPageSchema, 'A page of deliveries'), ...problemResponses(400, 401, 403, 404) },
});

const missing = (id: string) => notFound(`Webhook subscription ${id}`);

export function webhooksRoutes(deps: AppDeps) {
  const router = createRouter();
  const policy: WebhookUrlPolicy = deps.config.webhooks;

  /** The URL as it will be stored (normalised), or a 400 naming the field and the rule it breaks. */
  const checkedUrl = (raw: string): string => {
    try {
      return checkWebhookUrl(raw, policy).href;
    } catch (err) {
      if (!(err instanceof WebhookUrlRefused)) throw err;
      throw badRequest(`The url ${err.message}.`, [{ path: 'url', message: err.message }]);
    }
  };

  /** Tells delivery (when it listens); its failure never undoes or fails the admin's change. */
  const changed = async (id: string, change: WebhookSubscriptionChange) => {
    try {
      await deps.onWebhookSubscriptionChanged?.(id, change);
    } catch (err) {
      deps.log.warn({ err, subscriptionId: id, change }, 'webhook subscription change not passed on to delivery');
    }
  };

  router.openapi(createSubscriptionRoute, async (c) => {
    const input = c.req.valid('json');
    const row = await createSubscription(deps.db, { ...input, url: checkedUrl(input.url) }, deps.clock());
    c.var.log.info({ subscriptionId: row.id, events: row.events }, 'webhook subscription created');
    await changed(row.id, 'created');
    c.header('location', `/webhooks/subscriptions/${row.id}`);
    return c.json(withSecret(row), 201);
  });

  router.openapi(listSubscriptionsRoute, async (c) =>
    c.json(await listSubscriptions(deps.db, c.req.valid('query')), 200),
  );

  router.openapi(getSubscriptionRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = await getSubscription(deps.db, id);
    if (!row) throw missing(id);
    return c.json(subscriptionView(row), 200);
  });

  router.openapi(updateSubscriptionRoute, async (c) => {
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    const url = input.url === undefined ? undefined : checkedUrl(input.url);
    const row = await updateSubscription(deps.db, id, { ...input, url }, deps.clock());
    if (!row) throw missing(id);
    c.var.log.info({ subscriptionId: id, fields: Object.keys(input) }, 'webhook subscription updated');
    await changed(id, 'updated');
    return c.json(subscriptionView(row), 200);
  });

  router.openapi(deleteSubscriptionRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await deleteSubscription(deps.db, id))) throw missing(id);
    c.var.log.info({ subscriptionId: id }, 'webhook subscription deleted');
    await changed(id, 'deleted');
    return c.body(null, 204);
  });

  router.openapi(rotateSecretRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = await rotateSecret(deps.db, id, deps.config.webhooks.secretRotationGrace, deps.clock());
    if (!row) throw missing(id);
    c.var.log.info({ subscriptionId: id, previousUntil: row.previousSecretExpiresAt }, 'webhook secret rotated');
    await changed(id, 'secret_rotated');
    return c.json(withSecret(row), 200);
  });

  router.openapi(listDeliveriesRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await getSubscription(deps.db, id))) throw missing(id);
    return c.json(await listDeliveries(deps.db, id, c.req.valid('query')), 200);
  });

  return router;
}
