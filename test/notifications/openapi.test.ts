import { compileErrors, validate } from '@readme/openapi-parser';
import { OpenAPIHono } from '@hono/zod-openapi';
import { notificationsRoutes } from '../../api/routes/notifications';
import { customersRoutes } from '../../api/routes/customers';
import type { AppEnv } from '../../api/env';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';

/** The notification and preference routers alone, so a fault in another area's routes cannot hide one in ours. */
function document() {
  const deps = {
    config: loadConfig({ NODE_ENV: 'test' }),
    log: createLogger('silent'),
    clock: () => new Date(),
  } as never;
  const app = new OpenAPIHono<AppEnv>();
  app.route('/', notificationsRoutes(deps));
  app.route('/', customersRoutes(deps));
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer' });
  return app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'notifications', version: '0' } });
}

test('the notifications and preferences routes make a valid OpenAPI 3.1 document with their error statuses', async () => {
  const doc = document();
  const result = await validate(structuredClone(doc) as never);
  if (!result.valid) throw new Error(compileErrors(result));
  const statuses = (p: string, m: string) => Object.keys((doc.paths as any)[p][m].responses).sort();
  expect(statuses('/notifications', 'get')).toEqual(['200', '400', '401', '403']);
  expect(statuses('/notifications/{id}/resend', 'post')).toEqual(['202', '400', '401', '403', '404', '409', '503']);
  expect(statuses('/customers/me/preferences', 'get')).toEqual(['200', '401']);
  expect(statuses('/customers/me/preferences', 'put')).toEqual(['200', '400', '401', '413', '415', '422']);
  expect((doc.paths as any)['/notifications'].get.security).toEqual([{ bearerAuth: [] }]);
});
