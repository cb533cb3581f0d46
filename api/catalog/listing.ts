/**
 * GET /products: keyset pagination over (sort key, id). With q and no other sort, results come by relevance, and
 * the cursor holds the integer score (api/catalog/search.ts). Each distinct query shape (sort, direction, which
 * filters are present, visibility) gets one prepared statement, built on first use and kept for the life of the app.
 */
import { and, asc, desc, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { exactTimestamp } from '../../db/keyset';
import { products } from '../../db/schema';
import type { AuthUser } from '../auth';
import { decodeCursor, encodeCursor, type SortDir, type SortField } from './cursor';
import { productColumns, toProductJson, type ProductJson, type ProductRow } from './product-row';
import type { ProductListQuery } from './schemas';
import { createSearchQueryBuilder, filtersOf, filterTerms, relevanceScore, type FilterShape } from './search';

export { toPrefixTsquery } from './search';

const ph = sql.placeholder;
const SORT_COLUMNS = {
  price: products.priceCents,
  name: products.name,
  createdAt: products.createdAt,
  relevance: relevanceScore,
} as const;
const KEY_CAST = { price: 'int', name: 'text', createdAt: 'timestamptz', relevance: 'int' } as const;
const CREATED_KEY = exactTimestamp(products.createdAt);

interface Shape extends FilterShape {
  field: SortField;
  dir: SortDir;
  cursor: boolean;
}

function build(db: Db, s: Shape, name: string) {
  const col = SORT_COLUMNS[s.field];
  const where = filterTerms(s);
  if (s.cursor) {
    const cast = sql.raw(KEY_CAST[s.field]);
    const op = sql.raw(s.dir === 'asc' ? '>' : '<');
    where.push(sql`(${col}, ${products.id}) ${op} (cast(${ph('key')} as ${cast}), cast(${ph('keyId')} as uuid))`);
  }
  const order = s.dir === 'asc' ? asc : desc;
  const columns =
    s.field === 'createdAt'
      ? { ...productColumns, createdKey: CREATED_KEY }
      : s.field === 'relevance'
        ? { ...productColumns, score: relevanceScore }
        : productColumns;
  return db
    .select(columns)
    .from(products)
    .where(and(...where))
    .orderBy(order(col), order(products.id))
    .limit(ph('limit'))
    .prepare(name);
}

export interface ProductPage {
  items: ProductJson[];
  nextCursor: string | null;
}

type ListedRow = ProductRow & { createdKey?: string; score?: number };

function sortKey(field: SortField, row: ListedRow): number | string {
  if (field === 'price') return row.priceCents;
  if (field === 'name') return row.name;
  if (field === 'relevance') return row.score as number;
  return row.createdKey as string;
}

export function createProductLister(db: Db) {
  const statements = new Map<string, ReturnType<typeof build>>();
  const searchQuery = createSearchQueryBuilder(db);

  return async function listProducts(query: ProductListQuery, user: AuthUser | undefined): Promise<ProductPage> {
    const search = await searchQuery(query.q);
    const { shape: filters, params } = filtersOf(query, search, user);
    // Relevance is the default when there is something to rank by; without searchable words it means newest first.
    const sortRaw =
      query.sort === 'relevance' || (query.sort === undefined && search !== undefined)
        ? search
          ? 'relevance'
          : '-createdAt'
        : (query.sort ?? '-createdAt');
    const field = sortRaw.replace(/^-/, '') as SortField;
    const dir: SortDir = sortRaw.startsWith('-') || field === 'relevance' ? 'desc' : (query.order ?? 'asc');
    const limit = query.limit ?? 20;
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, field, dir);
    const shape: Shape = { field, dir, cursor: cursor !== undefined, ...filters };
    const key = JSON.stringify(shape);
    let stmt = statements.get(key);
    if (!stmt) {
      stmt = build(db, shape, `catalog_list_${statements.size}`);
      statements.set(key, stmt);
    }
    const rows = (await stmt.execute({
      limit: limit + 1,
      ...params,
      key: cursor?.k,
      keyId: cursor?.id,
    })) as ListedRow[];
    const page = rows.length > limit ? rows.slice(0, limit) : rows;
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > limit && last ? encodeCursor({ s: `${field}:${dir}`, k: sortKey(field, last), id: last.id }) : null;
    return { items: page.map(toProductJson), nextCursor };
  };
}
