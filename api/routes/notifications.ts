/** Notifications admin API: the delivery tracking rows (filter, page) and a resend that runs through the same activity. */
import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { notifications, NOTIFICATION_STATUSES } from '../../db/schema';
import {
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  RESEND_WORKFLOW_TYPE,
  resendWorkflowId,
  type ResendNotificationInput,
} from '../../contract';
import type { resendNotification } from '../../workflows/notifications';
import type { AppDeps } from '../env';
import { BEARER, createRouter } from '../openapi';
import { badRequest, conflict, notFound, problemResponses } from '../problem';
import { adminOnly } from '../guards';
import { text } from '../text';

const NotificationSchema = z
  .object({
    id: z.uuid(),
    orderId: z.uuid(),
    kind: z.enum(NOTIFICATION_KINDS),
    channel: z.enum(NOTIFICATION_CHANNELS),
    recipient: z.string(),
    status: z.enum(NOTIFICATION_STATUSES),
    attempts: z.number().int(),
    generation: z.number().int(),
    messageId: z.string().nullable(),
    providerMessageId: z.string().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    sentAt: z.string().nullable(),
  })
  .openapi('Notification');

const ListQuerySchema = z.object({
  orderId: z.uuid().optional(),
  status: z.enum(NOTIFICATION_STATUSES).optional(),
  kind: z.enum(NOTIFICATION_KINDS).optional(),
  channel: z.enum(NOTIFICATION_CHANNELS).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: text().max(200).optional().openapi({
    pattern: '^[A-Za-z0-9_-]*$',
    description: 'nextCursor of the previous page (opaque; empty: the first page); any other is 400.',
  }),
});

const PageSchema = z
  .object({ items: z.array(NotificationSchema), nextCursor: z.string().nullable() })
  .openapi('NotificationPage');

const ResendSchema = z
  .object({
    notificationId: z.uuid(),
    orderId: z.uuid(),
    kind: z.enum(NOTIFICATION_KINDS),
    channel: z.enum(NOTIFICATION_CHANNELS),
    generation: z.number().int(),
    workflowId: z.string(),
  })
  .openapi('NotificationResend');

const common = { tags: ['notifications'], security: BEARER, middleware: adminOnly };

const listRoute = createRoute({
  ...common,
  method: 'get',
  path: '/notifications',
  summary: 'Delivery tracking rows, newest first (admin)',
  request: { query: ListQuerySchema },
  responses: {
    200: { description: 'A page of notifications', content: { 'application/json': { schema: PageSchema } } },
    ...problemResponses(400, 401, 403),
  },
});

const resendRoute = createRoute({
  ...common,
  method: 'post',
  path: '/notifications/{id}/resend',
  summary: 'Send a notification again as a new message (new Message-ID), recorded in the order timeline (admin)',
  request: { params: z.object({ id: z.uuid() }) },
  responses: {
    202: { description: 'Resend started', content: { 'application/json': { schema: ResendSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 503),
  },
});

type Row = typeof notifications.$inferSelect;
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const toItem = (r: Row) => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  sentAt: iso(r.sentAt),
});

// Keyset cursor on (created_at, id); created_at travels as text with microseconds, which a JS Date would lose.
const createdText = sql<string>`to_char(${notifications.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const CURSOR = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\|[0-9a-f-]{36}$/;

function decodeCursor(raw: string): { at: string; id: string } {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  if (!CURSOR.test(text))
    throw badRequest('The cursor is invalid; pass the nextCursor of a previous page.', [
      { path: 'cursor', message: 'invalid cursor' },
    ]);
  const [at, id] = text.split('|') as [string, string];
  return { at, id };
}

export function notificationsRoutes(deps: AppDeps) {
  const router = createRouter();

  router.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const where: SQL[] = [];
    if (q.orderId) where.push(eq(notifications.orderId, q.orderId));
    if (q.status) where.push(eq(notifications.status, q.status));
    if (q.kind) where.push(eq(notifications.kind, q.kind));
    if (q.channel) where.push(eq(notifications.channel, q.channel));
    if (q.cursor) {
      const cur = decodeCursor(q.cursor);
      where.push(sql`(${notifications.createdAt}, ${notifications.id}) < (${cur.at}::timestamptz, ${cur.id}::uuid)`);
    }
    const rows = await deps.db
      .select({ row: notifications, at: createdText })
      .from(notifications)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(notifications.createdAt), desc(notifications.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > q.limit && last ? Buffer.from(`${last.at}|${last.row.id}`).toString('base64url') : null;
    return c.json({ items: page.map((r) => toItem(r.row)), nextCursor }, 200);
  });

  router.openapi(resendRoute, async (c) => {
    const { id } = c.req.valid('param');
    const [row] = await deps.db.select().from(notifications).where(eq(notifications.id, id));
    if (!row) throw notFound(`Notification ${id}`);
    const { kind, channel } = row;
    const generation = row.generation + 1;
    const workflowId = resendWorkflowId(row.orderId, kind, generation, channel);
    const input: ResendNotificationInput = {
      orderId: row.orderId,
      kind,
      channel,
      generation,
      requestedBy: c.var.user?.sub,
    };
    try {
      await deps.temporal.workflow.start<typeof resendNotification>(RESEND_WORKFLOW_TYPE, {
        taskQueue: deps.config.temporal.taskQueue,
        workflowId,
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw conflict('A resend of this notification is already under way; try again once it has finished.', {
          workflowId,
        });
      }
      throw err;
    }
    c.var.log.info({ orderId: row.orderId, workflowId, kind, channel, generation }, 'notification resend started');
    return c.json({ notificationId: row.id, orderId: row.orderId, kind, channel, generation, workflowId }, 202);
  });

  return router;
}
