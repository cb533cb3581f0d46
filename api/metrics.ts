/**
 * The API's Prometheus metrics (docs/observability.md): request latency by route template and status, checkouts
 * accepted and idempotent replays, requests refused by the rate limit; served on GET /metrics. One registry per
 * process: every app in it counts into the same series, as Prometheus expects of one target.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { Counter, Histogram } from 'prom-client';
import { createRegistry } from '../lib/metrics';
import type { AppEnv } from './env';
import { createRouter } from './openapi';
import { problemResponses } from './problem';

export const apiRegistry = createRegistry('api');

/** Route label of a request no route answered (404s): one series, whatever the URL was. */
export const UNMATCHED_ROUTE = 'unmatched';

export const httpRequestDuration = new Histogram({
  name: 'orderly_http_request_duration_seconds',
  help: 'Time from receiving an HTTP request to its response, by method, route template and status code.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [apiRegistry],
});

export const checkoutsAccepted = new Counter({
  name: 'orderly_checkouts_accepted_total',
  help: 'POST /checkout requests that started a new checkout workflow (202).',
  registers: [apiRegistry],
});

export const checkoutReplays = new Counter({
  name: 'orderly_checkout_idempotent_replays_total',
  help: 'POST /checkout requests answered with an existing order for the same Idempotency-Key and body (200).',
  registers: [apiRegistry],
});

/** Increment with the route template (as `routeOf(c)` gives it) when the rate limit refuses a request (429). */
export const rateLimited = new Counter({
  name: 'orderly_http_rate_limited_total',
  help: 'Requests refused by the rate limit (429), by route template.',
  labelNames: ['route'] as const,
  registers: [apiRegistry],
});

/** Starts the rate-limit counter at 0 for each route template served, so that it is a series before the first 429. */
export function initRouteSeries(routes: readonly { method: string; path: string }[]): void {
  for (const r of routes) if (r.method !== 'ALL') rateLimited.labels(r.path).inc(0);
}

/**
 * The route template that answered (`/orders/:id`, never the URL itself, so ids never become labels), or
 * UNMATCHED_ROUTE. Middleware registered for every method is skipped: the handler is the last route for one method.
 */
export function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) if (routes[i]!.method !== 'ALL') return routes[i]!.path;
  return UNMATCHED_ROUTE;
}

/** Times every request, errors included (onError has answered by the time next() returns). */
export function httpMetrics(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const end = httpRequestDuration.startTimer();
    try {
      await next();
    } finally {
      end({ method: c.req.method, route: routeOf(c), status: String(c.res.status) });
    }
  };
}

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['health'],
  summary: 'Prometheus metrics of this API process (text exposition format)',
  description:
    'For Prometheus on the private network: each replica serves its own. The load balancer refuses /metrics from ' +
    'outside (deploy/haproxy/haproxy.cfg).',
  responses: {
    200: { description: 'The metrics', content: { 'text/plain': { schema: z.string() } } },
    ...problemResponses(500),
  },
});

export function metricsRoutes() {
  const router = createRouter();
  router.openapi(metricsRoute, async (c) =>
    c.text(await apiRegistry.metrics(), 200, { 'content-type': apiRegistry.contentType }),
  );
  return router;
}
