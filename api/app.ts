/** createApp(deps): the Hono app, built from injected dependencies; one router per resource. */
import { HTTPException } from 'hono/http-exception';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from './env';
import { authenticate } from './auth';
import { HttpProblem, problemResponse } from './problem';
import { healthRoutes } from './routes/health';
import { productsRoutes } from './routes/products';
import { cartsRoutes } from './routes/carts';
import { checkoutRoutes } from './routes/checkout';
import { ordersRoutes } from './routes/orders';
import { paymentsRoutes } from './routes/payments';
import { stripeWebhookRoutes } from './routes/stripe-webhook';
import { notificationsRoutes } from './routes/notifications';
import { customersRoutes } from './routes/customers';
import { docsRoutes } from './routes/docs';

export const MAX_BODY_BYTES = 1024 * 1024;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();

  app.use('*', requestId());
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    c.set('log', deps.log.child({ requestId: c.var.requestId }));
    await next();
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new HttpProblem(413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
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

  app.route('/', healthRoutes(deps));
  app.route('/', productsRoutes(deps));
  app.route('/', cartsRoutes(deps));
  app.route('/', checkoutRoutes(deps));
  app.route('/', ordersRoutes(deps));
  app.route('/', paymentsRoutes(deps));
  app.route('/', stripeWebhookRoutes(deps));
  app.route('/', notificationsRoutes(deps));
  app.route('/', customersRoutes(deps));
  app.route('/', docsRoutes());

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Orderly API',
      version: '0.1.0',
      description: 'Catalog, carts, checkout and orders. Errors are RFC 9457 application/problem+json.',
    },
  });

  app.notFound((c) =>
    problemResponse({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: `No route for ${c.req.method} ${c.req.path}.`,
    }),
  );

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
    (c.var.log ?? deps.log).error({ err }, 'unhandled error');
    return problemResponse({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'Something went wrong on our side; the request id is in the x-request-id header.',
      instance,
    });
  });

  return app;
}

export type App = ReturnType<typeof createApp>;
