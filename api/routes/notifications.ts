/** notifications routes (placeholder until its issue lands). */
import type { AppDeps } from '../env';
import { createRouter } from '../openapi';

export function notificationsRoutes(_deps: AppDeps) {
  return createRouter();
}
