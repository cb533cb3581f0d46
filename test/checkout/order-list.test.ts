/**
 * GET /orders pages by (created_at, id). PostgreSQL keeps microseconds, so orders created within one millisecond must
 * still page without a gap or a repeat: the cursor carries the exact timestamp, not a JS Date.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { listOrders } from '../../api/orders/view';
import { orders } from '../../db/schema';
import { createTestDb, type TestDb } from '../support/db';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});

async function insertOrder(customerId: string, createdAt: string): Promise<string> {
  const id = randomUUID();
  await db.db.insert(orders).values({
    id,
    customerId,
    email: 'a@example.com',
    currency: 'EUR',
    totalCents: 100,
    shippingAddress: {},
    idempotencyKey: id,
    requestHash: 'h',
    workflowId: `order-${id}`,
    createdAt: sql`cast(${createdAt} as timestamptz)` as unknown as Date,
  });
  return id;
}

test('orders created within one millisecond page without a gap or a repeat', async () => {
  const customer = randomUUID();
  const stamps = ['2026-01-01T00:00:00.123100Z', '2026-01-01T00:00:00.123400Z', '2026-01-01T00:00:00.123700Z'];
  const ids: string[] = [];
  for (const at of stamps) ids.push(await insertOrder(customer, at));
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 5; page++) {
    const res = await listOrders(db.db, { customerId: customer, limit: 1, cursor });
    seen.push(...res.items.map((o) => o.id));
    if (!res.nextCursor) break;
    cursor = res.nextCursor;
  }
  expect(seen).toEqual([...ids].reverse());
});

test('a cursor that is not one of ours is a 400', async () => {
  const garbage = Buffer.from('yesterday|not-an-id').toString('base64url');
  await expect(listOrders(db.db, { limit: 1, cursor: garbage })).rejects.toMatchObject({ status: 400 });
});
