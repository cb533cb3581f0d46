/**
 * GET /products/facets: how many products match the listing's filters, by category and by price band. The counts
 * cover exactly the products the listing with the same filters (and q, typo tolerance included) would return.
 */
import { and, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { products } from '../../db/schema';
import type { AuthUser } from '../auth';
import type { ProductFacetsQuery } from './schemas';
import { createSearchQueryBuilder, filtersOf, filterTerms, type FilterShape } from './search';

/** Lower bounds, in priceCents, of every band above the first; each band is [bound, next bound - 1]. */
export const PRICE_BAND_BOUNDS = [1_000, 2_500, 5_000, 10_000, 25_000] as const;
export const MAX_CATEGORY_FACETS = 100;

// width_bucket gives 0 below the first bound, i for [bounds[i-1], bounds[i]), and bounds.length from the last bound.
const BAND = sql<number>`width_bucket(${products.priceCents}, array[${sql.raw(PRICE_BAND_BOUNDS.join(', '))}]::int[])`;

export interface ProductFacets {
  total: number;
  categories: { value: string; count: number }[];
  priceBands: { minPrice: number; maxPrice: number | null; count: number }[];
}

function build(db: Db, s: FilterShape, name: string) {
  return db
    .select({
      byCategory: sql<number>`grouping(${products.category})`.mapWith(Number),
      category: products.category,
      band: BAND,
      n: sql<number>`count(*)::int`,
    })
    .from(products)
    .where(and(...filterTerms(s)))
    .groupBy(sql`grouping sets ((${products.category}), (${BAND}))`)
    .prepare(name);
}

export function createFacetCounter(db: Db) {
  const statements = new Map<string, ReturnType<typeof build>>();
  const searchQuery = createSearchQueryBuilder(db, 'catalog_facets_close_words');

  return async function countFacets(query: ProductFacetsQuery, user: AuthUser | undefined): Promise<ProductFacets> {
    const { shape, params } = filtersOf(query, await searchQuery(query.q), user);
    const key = JSON.stringify(shape);
    let stmt = statements.get(key);
    if (!stmt) {
      stmt = build(db, shape, `catalog_facets_${statements.size}`);
      statements.set(key, stmt);
    }
    const rows = await stmt.execute(params);
    const bands = [0, ...PRICE_BAND_BOUNDS].map((minPrice, i) => ({
      minPrice,
      maxPrice: i < PRICE_BAND_BOUNDS.length ? PRICE_BAND_BOUNDS[i]! - 1 : null,
      count: 0,
    }));
    const categories: ProductFacets['categories'] = [];
    for (const r of rows) {
      // grouping() is 0 in the rows grouped by category, 1 in the rows grouped by band.
      if (r.byCategory === 0) categories.push({ value: r.category, count: r.n });
      else bands[Number(r.band)]!.count = r.n;
    }
    categories.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    return {
      total: bands.reduce((sum, b) => sum + b.count, 0),
      categories: categories.slice(0, MAX_CATEGORY_FACETS),
      priceBands: bands,
    };
  };
}
