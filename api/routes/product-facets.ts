/** GET /products/facets: category and price-band counts for the listing's filters, micro-cached like its pages. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import type { Db } from '../../db/client';
import { problemResponses } from '../problem';
import { createFacetCounter } from '../catalog/facets';
import type { PageCache } from '../catalog/cache';
import { ProductFacetsQuerySchema, ProductFacetsSchema } from '../catalog/schemas';

const facetsRoute = createRoute({
  method: 'get',
  path: '/products/facets',
  tags: ['catalog'],
  summary: 'Counts by category and price band of the products a listing with the same filters returns',
  request: { query: ProductFacetsQuerySchema },
  responses: {
    200: { description: 'Facet counts', content: { 'application/json': { schema: ProductFacetsSchema } } },
    ...problemResponses(400, 401, 403),
  },
});

/** Registers the route; call before /products/{id}, which would otherwise take "facets" for an id. */
export function addProductFacets(router: OpenAPIHono<AppEnv>, db: Db, pages: PageCache): void {
  const countFacets = createFacetCounter(db);
  router.openapi(facetsRoute, async (c) => {
    const url = c.req.url;
    // The listing's keys are bare query strings; the prefix keeps the two apart in the shared page cache.
    const key = `facets?${url.slice(url.indexOf('?') + 1 || url.length)}`;
    const user = c.var.user;
    return (await pages.respond(key, user?.role === 'admin', () => countFacets(c.req.valid('query'), user))) as never;
  });
}
