import { compileErrors, validate } from '@readme/openapi-parser';
import { OpenAPIHono } from '@hono/zod-openapi';
import { productsRoutes } from '../../api/routes/products';
import { cartsRoutes } from '../../api/routes/carts';
import type { AppEnv } from '../../api/env';
import { createLogger } from '../../lib/logger';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  await h?.close();
});

const CATALOG_ROUTES: [string, string, number[], boolean][] = [
  ['get', '/products', [200, 400, 401, 403], false],
  ['get', '/products/facets', [200, 400, 401, 403], false],
  ['post', '/products', [201, 400, 401, 403, 409, 413, 415], true],
  ['get', '/products/{id}', [200, 304, 401, 404], false],
  ['put', '/products/{id}', [200, 400, 401, 403, 404, 409, 413, 415], true],
  ['patch', '/products/{id}', [200, 400, 401, 403, 404, 409, 413, 415], true],
  ['delete', '/products/{id}', [200, 204, 401, 403, 404], true],
  ['post', '/carts', [201, 401], true],
  ['get', '/carts/{id}', [200, 401, 404], true],
  ['delete', '/carts/{id}', [204, 401, 404], true],
  ['post', '/carts/{id}/items', [200, 400, 401, 404, 413, 415, 422], true],
  ['patch', '/carts/{id}/items/{productId}', [200, 400, 401, 404, 413, 415, 422], true],
  ['delete', '/carts/{id}/items/{productId}', [200, 401, 404], true],
];

/** The catalog's routers alone, so a fault in another area's routes cannot hide one in ours. */
function catalogDocument() {
  const deps = {
    db: h.db.db,
    temporal: h.client,
    config: h.config,
    log: createLogger('silent'),
    clock: () => new Date(),
  } as never;
  const app = new OpenAPIHono<AppEnv>();
  app.route('/', productsRoutes(deps));
  app.route('/', cartsRoutes(deps));
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer' });
  return app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'catalog', version: '0' } });
}

test('the catalog and cart routes alone make a valid OpenAPI 3.1 document', async () => {
  const result = await validate(structuredClone(catalogDocument()) as never);
  if (!result.valid) throw new Error(compileErrors(result));
  expect(result.valid).toBe(true);
});

test('GET /openapi.json is a valid OpenAPI 3.1 document', async () => {
  const res = await h.call('GET', '/openapi.json');
  // On failure this shows the generator's message (e.g. a route of another area with a conflicting parameter).
  expect({ status: res.status, body: res.status === 200 ? 'ok' : res.body }).toEqual({ status: 200, body: 'ok' });
  expect(res.body.openapi).toBe('3.1.0');
  const result = await validate(structuredClone(res.body));
  if (!result.valid) throw new Error(compileErrors(result));
  expect(result.valid).toBe(true);
});

test('every catalog and cart route is documented with its error statuses, security and named schemas', async () => {
  const doc = catalogDocument() as any;
  for (const [method, path, statuses, secured] of CATALOG_ROUTES) {
    const op = doc.paths[path]?.[method];
    expect({ route: `${method} ${path}`, found: Boolean(op) }).toEqual({ route: `${method} ${path}`, found: true });
    expect(Object.keys(op.responses).map(Number).sort()).toEqual([...statuses].sort());
    for (const s of statuses.filter((n) => n >= 400)) {
      expect(op.responses[s].content['application/problem+json'].schema.$ref).toBe('#/components/schemas/Problem');
    }
    expect(op.security).toEqual(secured ? [{ bearerAuth: [] }] : undefined);
  }
  for (const name of [
    'Product',
    'ProductInput',
    'ProductPatch',
    'ProductPage',
    'ProductFacets',
    'Cart',
    'CartLine',
    'AddCartItem',
    'SetCartItem',
    'Problem',
  ]) {
    expect(doc.components.schemas[name]).toBeDefined();
  }
  const listParams = doc.paths['/products'].get.parameters.map((p: { name: string }) => p.name);
  expect(listParams).toEqual(
    expect.arrayContaining(['limit', 'cursor', 'category', 'minPrice', 'maxPrice', 'inStock', 'q', 'sort', 'order']),
  );
  const facetParams = doc.paths['/products/facets'].get.parameters.map((p: { name: string }) => p.name);
  expect(facetParams.sort()).toEqual(
    ['category', 'includeArchived', 'includeInactive', 'inStock', 'maxPrice', 'minPrice', 'q'].sort(),
  );
});

test('GET /docs serves the Swagger UI page and its assets load', async () => {
  const page = await h.app.request('/docs');
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
  const html = await page.text();
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  expect(assets.length).toBeGreaterThanOrEqual(4);
  for (const asset of assets) {
    const res = await h.app.request(asset);
    expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
  }
});
