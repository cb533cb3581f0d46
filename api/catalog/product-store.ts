/** Product reads by id (through the in-process cache) and admin writes, which bump version and invalidate the cache. */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { products } from '../../db/schema';
import { conflict, notFound } from '../problem';
import { PageCache, ProductCache, type CachedProduct } from './cache';
import {
  isUuid,
  isVisible,
  pgErrorCode,
  productColumns,
  productEtag,
  toProductJson,
  type ProductRow,
} from './product-row';
import type { ProductInput, ProductPatch } from './schemas';

export type DeleteOutcome = { kind: 'deleted' } | { kind: 'archived'; product: ProductRow };

export function createProductStore(db: Db, cache = new ProductCache(), pages = new PageCache()) {
  const byId = db
    .select(productColumns)
    .from(products)
    .where(eq(products.id, sql.placeholder('id')))
    .limit(1)
    .prepare('catalog_product_by_id');

  function entryOf(row: ProductRow): CachedProduct {
    return {
      body: JSON.stringify(toProductJson(row)),
      etag: productEtag(row.id, row.version),
      visible: isVisible(row),
    };
  }

  async function explainMissing(id: string): Promise<never> {
    const [row] = await byId.execute({ id });
    if (row?.archivedAt) throw conflict('The product is archived and can no longer be changed.');
    throw notFound(`Product ${id}`);
  }

  /** Every write changes what some listing page shows: drop them all (writes are rare, pages refill in a query). */
  function written(id: string) {
    cache.invalidate(id);
    pages.clear();
  }

  function rethrowUnique(err: unknown, sku: string | undefined): never {
    if (pgErrorCode(err) === '23505') throw conflict(`A product with sku "${sku}" already exists.`, { sku });
    throw err;
  }

  async function update(id: string, values: Partial<ProductInput>): Promise<ProductRow> {
    if (!isUuid(id)) throw notFound(`Product ${id}`);
    let rows: ProductRow[];
    try {
      rows = await db
        .update(products)
        .set({ ...values, version: sql`${products.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(products.id, id), isNull(products.archivedAt)))
        .returning(productColumns);
    } catch (err) {
      rethrowUnique(err, values.sku);
    }
    written(id);
    return rows[0] ?? explainMissing(id);
  }

  return {
    cache,
    pages,

    /** The cached JSON and ETag of a product, or undefined when there is no such product. */
    async get(id: string): Promise<CachedProduct | undefined> {
      const hit = cache.get(id);
      if (hit) return hit;
      if (!isUuid(id)) return undefined;
      const epoch = cache.epoch;
      const [row] = await byId.execute({ id });
      if (!row) return undefined;
      const entry = entryOf(row);
      cache.set(id, entry, epoch);
      return entry;
    },

    async create(input: ProductInput): Promise<ProductRow> {
      try {
        const [row] = await db.insert(products).values(input).returning(productColumns);
        pages.clear();
        return row!;
      } catch (err) {
        rethrowUnique(err, input.sku);
      }
    },

    replace: (id: string, input: ProductInput) => update(id, input),
    patch: (id: string, patch: ProductPatch) => update(id, patch),

    /**
     * Hard delete, unless a cart, order or reservation still points at the product (the foreign key refuses the
     * delete): then archive it, so order history keeps its product. No check-then-act race: the database decides.
     */
    async remove(id: string): Promise<DeleteOutcome> {
      if (!isUuid(id)) throw notFound(`Product ${id}`);
      try {
        const deleted = await db.delete(products).where(eq(products.id, id)).returning({ id: products.id });
        written(id);
        if (deleted.length === 0) throw notFound(`Product ${id}`);
        return { kind: 'deleted' };
      } catch (err) {
        if (pgErrorCode(err) !== '23503') throw err;
      }
      const [archived] = await db
        .update(products)
        .set({ active: false, archivedAt: sql`now()`, version: sql`${products.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(products.id, id), isNull(products.archivedAt)))
        .returning(productColumns);
      written(id);
      if (archived) return { kind: 'archived', product: archived };
      const [already] = await byId.execute({ id });
      if (!already) throw notFound(`Product ${id}`);
      return { kind: 'archived', product: already };
    },
  };
}

export type ProductStore = ReturnType<typeof createProductStore>;
