/**
 * GET /products: keyset pagination over (sort key, id). Each distinct query shape (sort, direction, which filters are
 * present, visibility) gets one prepared statement, built on first use and kept for the life of the app.
 */
import { and, asc, desc, eq, gt, gte, isNull, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { exactTimestamp } from '../../db/keyset';
import { products } from '../../db/schema';
import { forbidden } from '../problem';
import type { AuthUser } from '../auth';
import { decodeCursor, encodeCursor, type SortDir, type SortField } from './cursor';
import { productColumns, toProductJson, type ProductJson, type ProductRow } from './product-row';
import type { ProductListQuery } from './schemas';

const ph = sql.placeholder;
const SORT_COLUMNS = { price: products.priceCents, name: products.name, createdAt: products.createdAt } as const;
const KEY_CAST = { price: 'int', name: 'text', createdAt: 'timestamptz' } as const;
const CREATED_KEY = exactTimestamp(products.createdAt);

type Visibility = 'public' | 'inactive' | 'all';

interface Shape {
  field: SortField;
  dir: SortDir;
  cursor: boolean;
  category: boolean;
  minPrice: boolean;
  maxPrice: boolean;
  inStock: boolean | undefined;
  q: boolean;
  visibility: Visibility;
}

/** Words of q as a prefix tsquery ("gre te" -> "gre:* & te:*"); only letters and digits reach to_tsquery. */
export function toPrefixTsquery(q: string): string | undefined {
  const words = q
    .normalize('NFKC')
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu);
  if (!words) return undefined;
  return words
    .slice(0, 16)
    .map((w) => `${w}:*`)
    .join(' & ');
}

function build(db: Db, s: Shape, name: string) {
  const col = SORT_COLUMNS[s.field];
  const where: (SQL | undefined)[] = [];
  if (s.visibility === 'public') where.push(eq(products.active, true), isNull(products.archivedAt));
  if (s.visibility === 'inactive') where.push(isNull(products.archivedAt));
  if (s.category) where.push(eq(products.category, ph('category')));
  if (s.minPrice) where.push(gte(products.priceCents, ph('minPrice')));
  if (s.maxPrice) where.push(lte(products.priceCents, ph('maxPrice')));
  if (s.inStock === true) where.push(gt(products.stock, 0));
  if (s.inStock === false) where.push(eq(products.stock, 0));
  if (s.q) where.push(sql`${products.searchVector} @@ to_tsquery('simple', ${ph('q')})`);
  if (s.cursor) {
    const cast = sql.raw(KEY_CAST[s.field]);
    const op = sql.raw(s.dir === 'asc' ? '>' : '<');
    where.push(sql`(${col}, ${products.id}) ${op} (cast(${ph('key')} as ${cast}), cast(${ph('keyId')} as uuid))`);
  }
  const order = s.dir === 'asc' ? asc : desc;
  const columns = s.field === 'createdAt' ? { ...productColumns, createdKey: CREATED_KEY } : productColumns;
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

export function createProductLister(db: Db) {
  const statements = new Map<string, ReturnType<typeof build>>();

  return async function listProducts(query: ProductListQuery, user: AuthUser | undefined): Promise<ProductPage> {
    if ((query.includeInactive || query.includeArchived) && user?.role !== 'admin') {
      throw forbidden('includeInactive and includeArchived need the admin role.');
    }
    const sortRaw = query.sort ?? '-createdAt';
    const field = sortRaw.replace(/^-/, '') as SortField;
    const dir: SortDir = sortRaw.startsWith('-') ? 'desc' : (query.order ?? 'asc');
    const limit = query.limit ?? 20;
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, field, dir);
    const tsquery = query.q === undefined ? undefined : toPrefixTsquery(query.q);
    const shape: Shape = {
      field,
      dir,
      cursor: cursor !== undefined,
      category: query.category !== undefined,
      minPrice: query.minPrice !== undefined,
      maxPrice: query.maxPrice !== undefined,
      inStock: query.inStock,
      q: tsquery !== undefined,
      visibility: query.includeArchived ? 'all' : query.includeInactive ? 'inactive' : 'public',
    };
    const key = JSON.stringify(Object.values(shape));
    let stmt = statements.get(key);
    if (!stmt) {
      stmt = build(db, shape, `catalog_list_${statements.size}`);
      statements.set(key, stmt);
    }
    const rows = (await stmt.execute({
      limit: limit + 1,
      category: query.category,
      minPrice: query.minPrice,
      maxPrice: query.maxPrice,
      q: tsquery,
      key: cursor?.k,
      keyId: cursor?.id,
    })) as (ProductRow & { createdKey?: string })[];
    const page = rows.length > limit ? rows.slice(0, limit) : rows;
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > limit && last
        ? encodeCursor({
            s: `${field}:${dir}`,
            k: field === 'price' ? last.priceCents : field === 'name' ? last.name : (last.createdKey as string),
            id: last.id,
          })
        : null;
    return { items: page.map(toProductJson), nextCursor };
  };
}
