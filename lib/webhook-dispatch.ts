/**
 * Starting and waking webhook dispatchers, for the API (after a subscription changes, and for redeliveries) and the
 * worker (at start, and when order events are written). Signal-with-start: a running dispatcher is woken, a missing
 * one is started, and either way it claims new events at once.
 */
import type { Client } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import {
  WEBHOOK_DISPATCH_WORKFLOW_TYPE,
  WEBHOOK_WAKE_SIGNAL,
  webhookDispatchWorkflowId,
  type WebhookDispatchInput,
} from '../contract';
import type { Db } from '../db/client';
import { parseRows } from '../db/rows';
import { webhookSubscriptions } from '../db/schema';

export async function wakeWebhookDispatcher(client: Client, taskQueue: string, subscriptionId: string): Promise<void> {
  const input: WebhookDispatchInput = { subscriptionId };
  await client.workflow.signalWithStart(WEBHOOK_DISPATCH_WORKFLOW_TYPE, {
    workflowId: webhookDispatchWorkflowId(subscriptionId),
    taskQueue,
    args: [input],
    signal: WEBHOOK_WAKE_SIGNAL,
    signalArgs: [],
    staticSummary: `Webhook deliveries of subscription ${subscriptionId}`,
  });
}

/** Wakes (or starts) the dispatcher of every enabled subscription; answers how many. */
export async function wakeAllWebhookDispatchers(db: Db, client: Client, taskQueue: string): Promise<number> {
  const rows = parseRows(
    await db.execute(sql`select id from ${webhookSubscriptions} where enabled`),
    z.object({ id: z.string() }),
  );
  await Promise.all(rows.map((r) => wakeWebhookDispatcher(client, taskQueue, r.id)));
  return rows.length;
}
