/**
 * A webhook subscription's delivery log (admin): one row per logged event with its attempts, status and last error,
 * and a redelivery that sends one event once more with its original webhook-id.
 */
import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { webhookDeliveries, webhookSubscriptions } from '../../db/schema';
import {
  WEBHOOK_DELIVERY_STATUSES,
  WEBHOOK_REDELIVER_WORKFLOW_TYPE,
  webhookMessageId,
  webhookRedeliverWorkflowId,
  type WebhookRedeliverInput,
} from '../../contract';
import type { webhookRedeliver } from '../../workflows/webhooks';
import type { AppDeps } from '../env';
import { BEARER, createRouter } from '../openapi';
import { notFound, problemResponses } from '../problem';
import { adminOnly } from '../guards';

const DeliverySchema = z
  .object({
    id: z.number().int(),
    subscriptionId: z.uuid(),
    eventId: z.number().int(),
    webhookId: z.string().openapi({ example: 'msg_42', description: 'The webhook-id header every attempt carries.' }),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('WebhookDelivery');

const PageSchema = z
  .object({ items: z.array(DeliverySchema), nextCursor: z.string().nullable() })
  .openapi('WebhookDeliveryPage');

const RedeliverySchema = z
  .object({ deliveryId: z.number().int(), eventId: z.number().int(), webhookId: z.string(), workflowId: z.string() })
  .openapi('WebhookRedelivery');

const SubscriptionParam = z.object({ id: z.uuid() });
const DeliveryParam = SubscriptionParam.extend({
  deliveryId: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

const common = { tags: ['webhooks'], security: BEARER, middleware: adminOnly };

const listRoute = createRoute({
  ...common,
  method: 'get',
  path: '/webhooks/subscriptions/{id}/deliveries',
  summary: "A subscription's delivery log, newest event first (admin)",
  request: {
    params: SubscriptionParam,
    query: z.object({
      status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(20),
      cursor: z
        .string()
        .regex(/^[1-9]\d{0,15}$/)
        .optional()
        .openapi({ description: 'nextCursor of the previous page' }),
    }),
  },
  responses: {
    200: { description: 'A page of deliveries', content: { 'application/json': { schema: PageSchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

const redeliverRoute = createRoute({
  ...common,
  method: 'post',
  path: '/webhooks/subscriptions/{id}/deliveries/{deliveryId}/redeliver',
  summary: 'Send a logged event once more, with the same webhook-id; the attempt is recorded on the row (admin)',
  request: { params: DeliveryParam },
  responses: {
    202: { description: 'Redelivery started', content: { 'application/json': { schema: RedeliverySchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

type Row = typeof webhookDeliveries.$inferSelect;
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const toItem = (r: Row) => ({
  ...r,
  webhookId: webhookMessageId(r.eventId),
  lastAttemptAt: iso(r.lastAttemptAt),
  deliveredAt: iso(r.deliveredAt),
  createdAt: r.createdAt.toISOString(),
});

export function webhookDeliveriesRoutes(deps: AppDeps) {
  const router = createRouter();

  const requireSubscription = async (id: string) => {
    const [sub] = await deps.db
      .select({ id: webhookSubscriptions.id })
      .from(webhookSubscriptions)
      .where(eq(webhookSubscriptions.id, id));
    if (!sub) throw notFound(`Webhook subscription ${id}`);
  };

  router.openapi(listRoute, async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    await requireSubscription(id);
    const where: SQL[] = [eq(webhookDeliveries.subscriptionId, id)];
    if (q.status) where.push(eq(webhookDeliveries.status, q.status));
    if (q.cursor) where.push(lt(webhookDeliveries.eventId, Number(q.cursor)));
    const rows = await deps.db
      .select()
      .from(webhookDeliveries)
      .where(and(...where))
      .orderBy(desc(webhookDeliveries.eventId))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const nextCursor = rows.length > q.limit ? String(page[page.length - 1]!.eventId) : null;
    return c.json({ items: page.map(toItem), nextCursor }, 200);
  });

  router.openapi(redeliverRoute, async (c) => {
    const { id, deliveryId } = c.req.valid('param');
    const [row] = await deps.db
      .select({ eventId: webhookDeliveries.eventId })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.subscriptionId, id)));
    if (!row) throw notFound(`Delivery ${deliveryId} of webhook subscription ${id}`);
    const workflowId = webhookRedeliverWorkflowId(deliveryId, randomUUID());
    const input: WebhookRedeliverInput = { subscriptionId: id, deliveryId, requestedBy: c.var.user?.sub ?? 'admin' };
    await deps.temporal.workflow.start<typeof webhookRedeliver>(WEBHOOK_REDELIVER_WORKFLOW_TYPE, {
      taskQueue: deps.config.temporal.taskQueue,
      workflowId,
      args: [input],
      staticSummary: `Redelivery of event ${row.eventId} to subscription ${id}`,
    });
    c.var.log.info({ subscriptionId: id, deliveryId, eventId: row.eventId, workflowId }, 'webhook redelivery started');
    return c.json({ deliveryId, eventId: row.eventId, webhookId: webhookMessageId(row.eventId), workflowId }, 202);
  });

  return router;
}
