/** products routes (placeholder until its issue lands). */
import type { AppDeps } from '../env';
import { createRouter } from '../openapi';

export function productsRoutes(_deps: AppDeps) {
  return createRouter();
}
