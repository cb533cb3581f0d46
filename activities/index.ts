/** createActivities(deps): every activity the worker registers, built from injected dependencies. */
import { createCompensationActivities } from './compensation';
import type { ActivityDeps } from './deps';
import { createNotificationActivities } from './notification';
import { createOrderActivities } from './orders';
import { createInventoryActivities } from './inventory';
import { createPaymentActivities } from './payment';

export type { ActivityDeps };

export function createActivities(deps: ActivityDeps) {
  return {
    ...createNotificationActivities(deps),
    ...createOrderActivities(deps),
    ...createInventoryActivities(deps),
    ...createPaymentActivities(deps),
    ...createCompensationActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
