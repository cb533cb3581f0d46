/** Catalog: public product reads (cached, ETag'd, keyset-paginated) and admin-only writes. */
import { createRoute } from '@hono/zod-openapi';
import type { AppDeps } from '../env';
import { BEARER, createRouter } from '../openapi';
import { notFound, problemResponses } from '../problem';
import { adminOnly } from '../guards';
import { createProductLister } from '../catalog/listing';
import { createProductStore } from '../catalog/product-store';
import { followCatalogChanges } from '../catalog/invalidation';
import { toProductJson } from '../catalog/product-row';
import { addProductFacets } from './product-facets';
import {
  IdParamSchema,
  ProductInputSchema,
  ProductListQuerySchema,
  ProductPageSchema,
  ProductPatchSchema,
  ProductSchema,
} from '../catalog/schemas';

/** Shared caches may keep a visible product a minute, then must ask again (a 304 is cheap). */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=60, must-revalidate';
/** Inactive or archived products are only shown to admins: never store them in a shared cache. */
export const PRIVATE_CACHE_CONTROL = 'private, no-cache';

const json = (schema: typeof ProductSchema, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const body = <T>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });

/** RFC 9110 If-None-Match: a list of entity tags (weak comparison) or "*". */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

const listRoute = createRoute({
  method: 'get',
  path: '/products',
  tags: ['catalog'],
  summary: 'List products (keyset pagination, filters, full-text search, sort)',
  request: { query: ProductListQuerySchema },
  responses: {
    200: { description: 'A page of products', content: { 'application/json': { schema: ProductPageSchema } } },
    ...problemResponses(400, 401, 403),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/products/{id}',
  tags: ['catalog'],
  summary: 'One product, with ETag and Cache-Control; If-None-Match answers 304',
  request: { params: IdParamSchema },
  responses: {
    200: json(ProductSchema, 'The product'),
    304: { description: 'Not modified: the If-None-Match tag is current' },
    ...problemResponses(401, 404),
  },
});

const createProductRoute = createRoute({
  method: 'post',
  path: '/products',
  tags: ['catalog'],
  summary: 'Create a product (admin)',
  security: BEARER,
  middleware: [adminOnly] as const,
  request: { body: body(ProductInputSchema) },
  responses: { 201: json(ProductSchema, 'Created'), ...problemResponses(400, 401, 403, 409, 413, 415) },
});

const replaceRoute = createRoute({
  method: 'put',
  path: '/products/{id}',
  tags: ['catalog'],
  summary: 'Replace a product (admin)',
  security: BEARER,
  middleware: [adminOnly] as const,
  request: { params: IdParamSchema, body: body(ProductInputSchema) },
  responses: { 200: json(ProductSchema, 'Replaced'), ...problemResponses(400, 401, 403, 404, 409, 413, 415) },
});

const patchRoute = createRoute({
  method: 'patch',
  path: '/products/{id}',
  tags: ['catalog'],
  summary: 'Change some fields of a product (admin)',
  security: BEARER,
  middleware: [adminOnly] as const,
  request: { params: IdParamSchema, body: body(ProductPatchSchema) },
  responses: { 200: json(ProductSchema, 'Updated'), ...problemResponses(400, 401, 403, 404, 409, 413, 415) },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/products/{id}',
  tags: ['catalog'],
  summary: 'Delete a product (admin); one still referenced by carts or orders is archived instead',
  security: BEARER,
  middleware: [adminOnly] as const,
  request: { params: IdParamSchema },
  responses: {
    200: json(ProductSchema, 'Archived instead of deleted: carts or orders still refer to it'),
    204: { description: 'Deleted' },
    ...problemResponses(401, 403, 404),
  },
});

export function productsRoutes(deps: AppDeps) {
  const router = createRouter();
  const store = createProductStore(deps.db);
  if (deps.listen) followCatalogChanges(deps.listen, store, deps.log);
  const list = createProductLister(deps.db);

  router.openapi(listRoute, async (c) => {
    const query = c.req.valid('query');
    const user = c.get('user');
    const url = c.req.url;
    const key = url.slice(url.indexOf('?') + 1 || url.length);
    return (await store.pages.respond(key, user?.role === 'admin', () => list(query, user))) as never;
  });

  addProductFacets(router, deps.db, store.pages);

  router.openapi(getRoute, async (c) => {
    const id = c.req.param('id');
    const entry = await store.get(id);
    if (!entry || (!entry.visible && c.get('user')?.role !== 'admin')) throw notFound(`Product ${id}`);
    const cacheControl = entry.visible ? PUBLIC_CACHE_CONTROL : PRIVATE_CACHE_CONTROL;
    if (matches(c.req.header('if-none-match'), entry.etag)) {
      return new Response(null, { status: 304, headers: { etag: entry.etag, 'cache-control': cacheControl } });
    }
    return new Response(entry.body, {
      status: 200,
      headers: { 'content-type': 'application/json', etag: entry.etag, 'cache-control': cacheControl },
    });
  });

  router.openapi(createProductRoute, async (c) => {
    const row = await store.create(c.req.valid('json'));
    c.header('location', `/products/${row.id}`);
    return c.json(toProductJson(row), 201);
  });

  router.openapi(replaceRoute, async (c) => {
    return c.json(toProductJson(await store.replace(c.req.param('id'), c.req.valid('json'))), 200);
  });

  router.openapi(patchRoute, async (c) => {
    return c.json(toProductJson(await store.patch(c.req.param('id'), c.req.valid('json'))), 200);
  });

  router.openapi(deleteRoute, async (c) => {
    const outcome = await store.remove(c.req.param('id'));
    if (outcome.kind === 'deleted') return c.body(null, 204);
    return c.json(toProductJson(outcome.product), 200);
  });

  return router;
}
