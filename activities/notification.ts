/** Order notifications. Placeholder until the notifications issue: records notification.sent in the timeline. */
import { orderEvents } from '../db/schema';
import type { ActivityDeps } from './deps';
import type { NotifyOrderInput } from '../workflows/types';

export function createNotificationActivities(deps: ActivityDeps) {
  return {
    async sendOrderNotification(input: NotifyOrderInput): Promise<void> {
      const key = `notify:${input.orderId}:${input.kind}:${input.generation ?? 0}`;
      await deps.db
        .insert(orderEvents)
        .values({ orderId: input.orderId, type: 'notification.sent', data: { kind: input.kind, channel: 'outbox' }, dedupeKey: key })
        .onConflictDoNothing();
    },
  };
}
