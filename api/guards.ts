/** Route middleware that authorizes before the body is validated, so a refusal never depends on the body. */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env';
import { requireAdmin, requireUser } from './auth';

export const adminOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  requireAdmin(c);
  await next();
};

export const signedIn: MiddlewareHandler<AppEnv> = async (c, next) => {
  requireUser(c);
  await next();
};
