/** Shared helpers for the catalog tests: product payloads and direct database setup. */
import { randomUUID } from 'node:crypto';
import { count, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { cartLines, carts, orderLines, orders, products } from '../../db/schema';

let n = 0;
export function productInput(over: Record<string, unknown> = {}) {
  n++;
  return {
    sku: `SKU-${n}-${randomUUID().slice(0, 8)}`,
    name: `Product ${n}`,
    description: 'A thing',
    category: 'misc',
    priceCents: 1000 + n,
    currency: 'EUR',
    stock: 10,
    active: true,
    ...over,
  };
}

/** Row counts of the tables a catalog request may change, to assert a refused request changed nothing. */
export async function snapshot(db: Db) {
  const [p] = await db.select({ n: count() }).from(products);
  const [c] = await db.select({ n: count() }).from(carts);
  const [l] = await db.select({ n: count() }).from(cartLines);
  const [v] = await db.select({ sum: sql<string>`coalesce(sum(${products.version}), 0)::text` }).from(products);
  const [q] = await db.select({ sum: sql<string>`coalesce(sum(${cartLines.quantity}), 0)::text` }).from(cartLines);
  return { products: p!.n, carts: c!.n, lines: l!.n, versions: v!.sum, quantities: q!.sum };
}

/** An order with one line for the product, written straight to the database (checkout is another area). */
export async function insertOrderFor(db: Db, productId: string) {
  const orderId = randomUUID();
  await db.insert(orders).values({
    id: orderId,
    customerId: randomUUID(),
    email: 'a@example.com',
    currency: 'EUR',
    totalCents: 100,
    shippingAddress: { line1: 'x' },
    idempotencyKey: randomUUID(),
    requestHash: 'h',
    workflowId: `order-${orderId}`,
  });
  await db
    .insert(orderLines)
    .values({ orderId, productId, sku: 's', name: 'n', unitPriceCents: 100, quantity: 1, lineTotalCents: 100 });
  return orderId;
}
