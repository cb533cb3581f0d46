/** The product columns the API reads, their JSON form, and helpers shared by product queries. */
import { products } from '../../db/schema';

export const productColumns = {
  id: products.id,
  sku: products.sku,
  name: products.name,
  description: products.description,
  category: products.category,
  priceCents: products.priceCents,
  currency: products.currency,
  stock: products.stock,
  active: products.active,
  archivedAt: products.archivedAt,
  version: products.version,
  createdAt: products.createdAt,
  updatedAt: products.updatedAt,
};

export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  currency: string;
  stock: number;
  active: boolean;
  archivedAt: Date | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ProductJson extends Omit<ProductRow, 'archivedAt' | 'createdAt' | 'updatedAt'> {
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toProductJson(r: ProductRow): ProductJson {
  return {
    id: r.id,
    sku: r.sku,
    name: r.name,
    description: r.description,
    category: r.category,
    priceCents: r.priceCents,
    currency: r.currency,
    stock: r.stock,
    active: r.active,
    archivedAt: r.archivedAt ? r.archivedAt.toISOString() : null,
    version: r.version,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** Strong ETag from id and version: every write bumps version, so the tag changes exactly when the product does. */
export function productEtag(id: string, version: number): string {
  return `"${id}.${version}"`;
}

export function isVisible(r: Pick<ProductRow, 'active' | 'archivedAt'>): boolean {
  return r.active && r.archivedAt === null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);

export { pgErrorCode } from '../../db/pg-error';
