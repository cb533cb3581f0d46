/**
 * createDb() on PostgreSQL: drizzle's queries run as named prepared statements (parsed and planned once per
 * connection), in and out of transactions. drizzle's postgres.js adapter alone would send them unprepared.
 */
import { eq, sql } from 'drizzle-orm';
import { createDb, type DbHandle } from '../../db/client';
import { products } from '../../db/schema';
import { createTestDb, type TestDb } from '../support/db';

const onPostgres = process.env.DATABASE_URL ? describe : describe.skip;

onPostgres('createDb on PostgreSQL', () => {
  let testDb: TestDb;
  let one: DbHandle; // a single connection, so pg_prepared_statements shows what this client prepared
  beforeAll(async () => {
    testDb = await createTestDb();
    one = await createDb({ url: testDb.url!, max: 1 });
  });
  afterAll(async () => {
    await one?.close();
    await testDb?.close();
  });

  const prepared = async (db: Pick<DbHandle['db'], 'execute'>) =>
    (await db.execute(sql`select statement from pg_prepared_statements`)) as unknown as Array<{ statement: string }>;

  test('a query builder select is a named prepared statement', async () => {
    await one.db.select({ stock: products.stock }).from(products).where(eq(products.sku, 'NOPE-1'));
    const statements = (await prepared(one.db)).map((p) => p.statement);
    expect(statements).toContainEqual(
      expect.stringContaining('select "stock" from "products" where "products"."sku" = $1'),
    );
  });

  test('a raw statement with parameters is one too', async () => {
    await one.db.execute(sql`select count(*) from ${products} where price_cents > ${0}`);
    const statements = (await prepared(one.db)).map((p) => p.statement);
    expect(statements).toContainEqual(
      expect.stringContaining('select count(*) from "products" where price_cents > $1'),
    );
  });

  test('so are the statements of a transaction and of a nested one', async () => {
    const seen = await one.db.transaction(async (tx) => {
      await tx.select({ id: products.id }).from(products).where(eq(products.category, 'in-tx'));
      await tx.transaction(async (inner) => {
        await inner.select({ sku: products.sku }).from(products).where(eq(products.category, 'in-savepoint'));
      });
      return (await prepared(tx)).map((p) => p.statement);
    });
    expect(seen).toContainEqual(
      expect.stringContaining('select "id" from "products" where "products"."category" = $1'),
    );
    expect(seen).toContainEqual(
      expect.stringContaining('select "sku" from "products" where "products"."category" = $1'),
    );
  });
});
