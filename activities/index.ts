/** createActivities(deps): every activity the worker registers, built from injected dependencies. */
import { withDataErrorsPermanent } from './data-errors';
import { createCompensationActivities } from './orders/compensation';
import type { ActivityDeps } from './deps';
import { createInventoryActivities } from './inventory/activities';
import { createNotificationActivities } from './notifications/activities';
import { createOrderActivities } from './orders/activities';
import { createPaymentActivities } from './payments/activities';
import { createCartReminderActivities } from './housekeeping/cart-reminders';
import { createCartHousekeepingActivities } from './housekeeping/carts';
import { createStuckOrderActivities } from './housekeeping/stuck-orders';
import { createWebhookActivities } from './webhooks/activities';

export type { ActivityDeps };

export function createActivities(deps: ActivityDeps) {
  return withDataErrorsPermanent({
    ...createNotificationActivities(deps),
    ...createOrderActivities(deps),
    ...createInventoryActivities(deps),
    ...createPaymentActivities(deps),
    ...createCompensationActivities(deps),
    ...createCartHousekeepingActivities(deps),
    ...createCartReminderActivities(deps),
    ...createStuckOrderActivities(deps),
    ...createWebhookActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
