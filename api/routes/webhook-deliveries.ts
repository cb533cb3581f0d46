/**
 * Webhook delivery from the API's side: an admin's redelivery of one logged event (sent once more, with its original
 * webhook-id, by the webhookRedeliver workflow), and the hook that wakes or starts a subscription's dispatcher after
 * the admin API changes it. The delivery log itself is listed by api/routes/webhooks.ts.
 */
import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { webhookDeliveries } from '../../db/schema';
import {
  WEBHOOK_REDELIVER_WORKFLOW_TYPE,
  webhookMessageId,
  webhookRedeliverWorkflowId,
  type WebhookRedeliverInput,
} from '../../contract';
import { wakeWebhookDispatcher } from '../../lib/webhook-dispatch';
import type { webhookRedeliver } from '../../workflows/webhooks';
import type { AppDeps } from '../env';
import { BEARER, createRouter } from '../openapi';
import { notFound, problemResponses } from '../problem';
import { adminOnly } from '../guards';

const RedeliverySchema = z
  .object({
    deliveryId: z.number().int(),
    eventId: z.number().int(),
    webhookId: z.string().openapi({ example: 'msg_42', description: 'The webhook-id the event is sent with again.' }),
    workflowId: z.string().openapi({ description: 'The webhookRedeliver workflow: its result is the outcome.' }),
  })
  .openapi('WebhookRedelivery');

const redeliverRoute = createRoute({
  tags: ['webhooks'],
  security: BEARER,
  middleware: adminOnly,
  method: 'post',
  path: '/webhooks/subscriptions/{id}/deliveries/{deliveryId}/redeliver',
  summary: 'Send a logged event once more, with the same webhook-id; the attempt is recorded on the row (admin)',
  request: {
    params: z.object({
      id: z.uuid(),
      deliveryId: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    }),
  },
  responses: {
    202: { description: 'Redelivery started', content: { 'application/json': { schema: RedeliverySchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

/**
 * The admin API's deps with delivery's hook: any change to a subscription (created, updated, rotated, deleted) wakes
 * its dispatcher, or starts it, so it picks the change up at once (a disabled or deleted subscription's ends).
 */
export function withWebhookDelivery(deps: AppDeps): AppDeps {
  return {
    ...deps,
    onWebhookSubscriptionChanged:
      deps.onWebhookSubscriptionChanged ??
      ((id) => wakeWebhookDispatcher(deps.temporal, deps.config.temporal.taskQueue, id)),
  };
}

export function webhookDeliveriesRoutes(deps: AppDeps) {
  const router = createRouter();

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
