/**
 * One log line per request, when it completes: method, route template, status and duration, on the request's own
 * logger (`c.var.log`), so it carries the request id, the order and workflow ids a route added, and the trace id.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { checkoutWorkflowId } from '../contract';
import type { Logger } from '../lib/logger';
import type { AppEnv } from './env';

export const requestLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = performance.now();
  try {
    await next();
  } finally {
    const log = c.get('log');
    // Checked first: with LOG_LEVEL=warn the line costs nothing to build.
    if (log.isLevelEnabled('info')) {
      const status = c.res.status;
      log[status >= 500 ? 'error' : 'info'](
        {
          req: { method: c.req.method, url: c.req.path, route: routePath(c) },
          res: { statusCode: status },
          responseTime: Math.round((performance.now() - started) * 1000) / 1000,
        },
        'request completed',
      );
    }
  }
};

/** From here on, the request's lines (its completion line too) name the order and its checkout workflow. */
export function logOrder(c: Context<AppEnv>, orderId: string): Logger {
  const log = c.var.log.child({ orderId, workflowId: checkoutWorkflowId(orderId) });
  c.set('log', log);
  return log;
}
