/**
 * The committed migrations apply from an empty database on PGlite and on PostgreSQL, any number of times, and bring a
 * database left at an older schema (a stale .data/) forward.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createDb, type DbHandle } from '../../db/client';
import { MIGRATIONS_FOLDER, runMigrations } from '../../db/migrate';
import { dropDatabase } from '../support/db';

jest.setTimeout(120_000);

interface Journal {
  entries: { idx: number; tag: string; when: number }[];
}
const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as Journal;

const EXPECTED_TABLES = [
  'customers',
  'products',
  'carts',
  'cart_lines',
  'orders',
  'order_lines',
  'inventory_reservations',
  'payments',
  'order_events',
  'notifications',
  'cart_housekeeping',
  'rate_limits',
  'search_words',
];

async function rows<T>(handle: DbHandle, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await handle.db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

async function appliedMigrations(handle: DbHandle): Promise<number> {
  const [row] = await rows<{ n: number | string }>(
    handle,
    sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
  );
  return Number(row?.n);
}

async function tables(handle: DbHandle): Promise<string[]> {
  const found = await rows<{ table_name: string }>(
    handle,
    sql`select table_name from information_schema.tables where table_schema = 'public'`,
  );
  return found.map((r) => r.table_name);
}

/** A copy of the migrations folder that stops after the first migration: the schema an older release shipped. */
function firstMigrationOnly(): string {
  const dir = fs.mkdtempSync(path.join(process.env.ORDERLY_TEST_TMP ?? os.tmpdir(), 'migrations-'));
  fs.cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const partial = { ...journal, entries: journal.entries.slice(0, 1) };
  fs.writeFileSync(path.join(dir, 'meta', '_journal.json'), JSON.stringify(partial));
  return dir;
}

async function applyFirstMigrationOnly(handle: DbHandle): Promise<void> {
  const migrationsFolder = firstMigrationOnly();
  if (handle.kind === 'pglite') {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(handle.db as never, { migrationsFolder });
  } else {
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    await migrate(handle.db as never, { migrationsFolder });
  }
}

async function expectFullyMigrated(handle: DbHandle): Promise<void> {
  expect(await appliedMigrations(handle)).toBe(journal.entries.length);
  expect(await tables(handle)).toEqual(expect.arrayContaining(EXPECTED_TABLES));
  // The stock check is part of the schema, not just the code.
  const refused = await handle.db
    .execute(
      sql`insert into products (sku, name, category, price_cents, currency, stock) values ('NEG', 'n', 'c', 1, 'USD', -1)`,
    )
    .then(
      () => undefined,
      (err: Error & { cause?: Error }) => err.cause?.message ?? err.message,
    );
  expect(refused).toMatch(/products_stock_nonnegative/);
}

test('the journal is consistent: unique indexes in order and a SQL file for every entry', () => {
  expect(journal.entries.map((e) => e.idx)).toEqual(journal.entries.map((_, i) => i));
  for (const e of journal.entries) expect(fs.existsSync(path.join(MIGRATIONS_FOLDER, `${e.tag}.sql`))).toBe(true);
  const whens = journal.entries.map((e) => e.when);
  expect([...whens].sort((a, b) => a - b)).toEqual(whens);
});

/** Migrates an empty database, checks the result, migrates again and checks nothing more was applied; then closes it. */
async function expectMigratesTwice(handle: DbHandle) {
  try {
    await runMigrations(handle);
    await expectFullyMigrated(handle);
    await runMigrations(handle);
    expect(await appliedMigrations(handle)).toBe(journal.entries.length);
  } finally {
    await handle.close();
  }
}

describe('on PGlite', () => {
  test('migrations apply to an empty database, and applying them again changes nothing', async () => {
    await expectMigratesTwice(await createDb({ dataDir: 'memory://' }));
  });

  test('a data folder left at the first migration is brought forward on the next start', async () => {
    const dataDir = fs.mkdtempSync(path.join(process.env.ORDERLY_TEST_TMP ?? os.tmpdir(), 'pglite-'));
    try {
      const old = await createDb({ dataDir });
      await applyFirstMigrationOnly(old);
      expect(await appliedMigrations(old)).toBe(1);
      await old.close();

      const reopened = await createDb({ dataDir });
      try {
        await runMigrations(reopened);
        await expectFullyMigrated(reopened);
      } finally {
        await reopened.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

const onPostgres = process.env.DATABASE_URL ? describe : describe.skip;

onPostgres('on PostgreSQL', () => {
  const created: string[] = [];
  const base = process.env.DATABASE_URL!;

  async function emptyDatabase(): Promise<string> {
    const { default: postgres } = await import('postgres');
    const name = `orderly_m_${randomBytes(6).toString('hex')}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    created.push(name);
    const url = new URL(base);
    url.pathname = `/${name}`;
    return url.toString();
  }

  afterAll(async () => {
    for (const name of created) await dropDatabase(base, name);
  });

  test('migrations apply to an empty database, and applying them again changes nothing', async () => {
    await expectMigratesTwice(await createDb({ url: await emptyDatabase(), max: 2 }));
  });

  test('an api and a worker starting together both migrate safely (advisory lock)', async () => {
    const url = await emptyDatabase();
    const a = await createDb({ url, max: 1 });
    const b = await createDb({ url, max: 1 });
    try {
      await Promise.all([runMigrations(a), runMigrations(b), runMigrations(a)]);
      await expectFullyMigrated(a);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a database left at the first migration is brought forward', async () => {
    const handle = await createDb({ url: await emptyDatabase(), max: 2 });
    try {
      await applyFirstMigrationOnly(handle);
      expect(await appliedMigrations(handle)).toBe(1);
      await runMigrations(handle);
      await expectFullyMigrated(handle);
    } finally {
      await handle.close();
    }
  });
});
