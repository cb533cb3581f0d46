/** createApp(deps): the Hono app, built from injected dependencies; one router per resource. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from './env';
import { authenticate } from './auth';
import { HttpProblem, problemResponse } from './problem';
import { allowedMethods, CLOSE_CONNECTION, discardUnreadBody, methodNotAllowed } from './http-hygiene';
import { InFlightRequests } from './in-flight';
import { withMiddlewareStatuses } from './openapi-statuses';
import { healthRoutes } from './routes/health';
import { productsRoutes } from './routes/products';
import { cartsRoutes } from './routes/carts';
import { checkoutRoutes } from './routes/checkout';
import { ordersRoutes } from './routes/orders';
import { paymentsRoutes } from './routes/payments';
import { stripeWebhookRoutes } from './routes/stripe-webhook';
import { notificationsRoutes } from './routes/notifications';
import { customersRoutes } from './routes/customers';
import { webhooksRoutes } from './routes/webhooks';
import { docsRoutes } from './routes/docs';
import { rateLimit, type RateLimitPolicy } from './ratelimit/middleware';
import { documentRateLimits } from './ratelimit/openapi';
import { httpMetrics, initRouteSeries, metricsRoutes, rateLimited, routeOf } from './metrics';
import { codecRoutes } from './routes/codec';
import { requestLog } from './request-log';
import { httpSpans } from './http-span';
import { webhookDeliveriesRoutes, withWebhookDelivery } from './routes/webhook-deliveries';

export const MAX_BODY_BYTES = 1024 * 1024;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const inFlight = new InFlightRequests();

  // The server span first, so every line logged for the request carries its trace id; none without tracing.
  if (deps.tracing) app.use('*', httpSpans());
  // Then the timing, so that every request is timed, including those refused by later middleware.
  if (deps.config.metrics.enabled) app.use('*', httpMetrics());
  app.use('*', requestId());
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    c.set('log', deps.log.child({ requestId: c.var.requestId }));
    await next();
  });
  app.use('*', inFlight.middleware(deps.temporal));
  app.use('*', discardUnreadBody);
  app.use('*', requestLog);
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new HttpProblem(413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`, {
          headers: CLOSE_CONNECTION,
        });
      },
    }),
  );
  // Bodies are JSON; anything else is refused before a handler sees it.
  app.use('*', async (c, next) => {
    if (WRITE_METHODS.has(c.req.method)) {
      // A body is announced by Content-Length or Transfer-Encoding (HTTP/1.1) or by a Content-Type;
      // a bodyless POST such as `curl -X POST` has none of them and passes.
      const length = c.req.header('content-length');
      const type = c.req.header('content-type');
      const hasBody =
        length !== '0' &&
        (type !== undefined || length !== undefined || c.req.header('transfer-encoding') !== undefined);
      if (hasBody && !/^application\/([\w.+-]+\+)?json(\s*;|$)/i.test(type ?? '')) {
        throw new HttpProblem(415, 'Request bodies must be application/json.');
      }
    }
    await next();
  });
  app.use('*', authenticate);
  // After authenticate: a signed-in caller is limited by its token's subject, an anonymous one by its IP.
  const metricsOn = deps.config.metrics.enabled;
  const onLimited = (policy: RateLimitPolicy, c: Context<AppEnv>) => {
    if (metricsOn) rateLimited.labels(routeOf(c)).inc();
    deps.onRateLimited?.(policy);
  };
  app.use('*', rateLimit({ db: deps.db, config: deps.config.rateLimit, log: deps.log, onLimited }));

  app.route('/', healthRoutes(deps));
  app.route('/', productsRoutes(deps));
  app.route('/', cartsRoutes(deps));
  app.route('/', checkoutRoutes(deps));
  app.route('/', ordersRoutes(deps));
  app.route('/', paymentsRoutes(deps));
  app.route('/', stripeWebhookRoutes(deps));
  app.route('/', notificationsRoutes(deps));
  app.route('/', customersRoutes(deps));
  app.route('/', webhooksRoutes(withWebhookDelivery(deps)));
  app.route('/', webhookDeliveriesRoutes(deps));
  app.route('/', docsRoutes());
  if (deps.config.metrics.enabled) {
    app.route('/', metricsRoutes());
    initRouteSeries(app.routes);
  }
  app.route('/', codecRoutes(deps));

  documentRateLimits(app.openAPIRegistry);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  const docConfig = {
    openapi: '3.1.0',
    info: {
      title: 'Orderly API',
      version: '0.1.0',
      description: 'Catalog, carts, checkout and orders. Errors are RFC 9457 application/problem+json.',
    },
  };
  let doc: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  // The statuses the middleware adds (401, 413, 415, 400) are stated on every operation they apply to.
  app.get('/openapi.json', (c) => c.json((doc ??= withMiddlewareStatuses(app.getOpenAPI31Document(docConfig)))));

  const allowed = allowedMethods(app.routes);
  app.notFound((c) => {
    const allow = allowed(c.req.path);
    if (allow.length) {
      const problem = methodNotAllowed(c.req.method, c.req.path, allow);
      return problemResponse(problem.toBody(c.req.path), problem.headers);
    }
    return problemResponse({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: `No route for ${c.req.method} ${c.req.path}.`,
    });
  });

  app.onError((err, c) => {
    const instance = c.req.path;
    if (err instanceof HttpProblem) {
      if (err.status >= 500) c.var.log?.error({ err }, 'request failed');
      return problemResponse(err.toBody(instance), err.headers);
    }
    if (err instanceof HTTPException) {
      // Hono's own: malformed JSON (400) and the like.
      const status = err.status;
      const detail = status === 400 && /JSON/i.test(err.message) ? 'The request body is not valid JSON.' : err.message;
      return problemResponse({
        type: 'about:blank',
        title: status === 400 ? 'Bad Request' : 'Error',
        status,
        detail,
        instance,
      });
    }
    if (inFlight.aborted) {
      // Shutdown cut a Temporal call short (the drain timeout passed): the client may retry on another replica.
      return problemResponse(
        {
          type: 'about:blank',
          title: 'Service Unavailable',
          status: 503,
          detail: 'The API is shutting down.',
          instance,
        },
        { 'retry-after': '1', connection: 'close' },
      );
    }
    (c.var.log ?? deps.log).error({ err }, 'unhandled error');
    return problemResponse({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'Something went wrong on our side; the request id is in the x-request-id header.',
      instance,
    });
  });

  return Object.assign(app, { inFlight });
}

export type App = ReturnType<typeof createApp>;
