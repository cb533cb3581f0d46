/**
 * Migration search_quality on a catalog that existed before it: pg_trgm is created by the database's owner (no
 * superuser on PostgreSQL), and the words of existing products reach the typo vocabulary, on PGlite and PostgreSQL.
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
  entries: { tag: string }[];
}

/** The migrations folder as it was before search_quality, wherever the lead numbers it. */
function migrationsBeforeSearch(): string {
  const dir = fs.mkdtempSync(path.join(process.env.ORDERLY_TEST_TMP ?? os.tmpdir(), 'migrations-'));
  fs.cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const file = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(fs.readFileSync(file, 'utf8')) as Journal;
  const at = journal.entries.findIndex((e) => e.tag.endsWith('_search_quality'));
  expect(at).toBeGreaterThan(0);
  fs.writeFileSync(file, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
  return dir;
}

async function rows<T>(handle: DbHandle, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await handle.db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

async function expectBackfilled(handle: DbHandle): Promise<void> {
  const migrationsFolder = migrationsBeforeSearch();
  const { migrate } =
    handle.kind === 'pglite'
      ? await import('drizzle-orm/pglite/migrator')
      : await import('drizzle-orm/postgres-js/migrator');
  await migrate(handle.db as never, { migrationsFolder });
  await handle.db.execute(
    sql`insert into products (sku, name, description, category, price_cents, currency, stock)
        values ('OLD-1', 'Walnut cutting board', 'oiled', 'kitchen', 2500, 'EUR', 3)`,
  );
  await runMigrations(handle);
  const words = await rows<{ word: string }>(handle, sql`select word from search_words order by word`);
  expect(words.map((w) => w.word)).toEqual(['board', 'cutting', 'kitchen', 'oiled', 'walnut']);
  const found = await rows<{ name: string }>(
    handle,
    sql`select p.name from products p where p.search_vector @@ to_tsquery('simple', 'walnut')
        and exists (select 1 from search_words w where w.word % 'walnutt')`,
  );
  expect(found).toEqual([{ name: 'Walnut cutting board' }]);
}

test('on PGlite, an existing catalog gets pg_trgm and its words', async () => {
  const handle = await createDb({ dataDir: 'memory://' });
  try {
    await expectBackfilled(handle);
  } finally {
    await handle.close();
  }
});

const onPostgres = process.env.DATABASE_URL ? test : test.skip;

onPostgres('on PostgreSQL, the database owner creates pg_trgm and an existing catalog gets its words', async () => {
  const base = process.env.DATABASE_URL!;
  const { default: postgres } = await import('postgres');
  const name = `orderly_s_${randomBytes(6).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const handle = await createDb({ url: url.toString(), max: 2 });
  try {
    await expectBackfilled(handle);
    const [ext] = await rows<{ owner: string }>(
      handle,
      sql`select extowner::regrole::text as owner from pg_extension where extname = 'pg_trgm'`,
    );
    expect(ext?.owner).toBe(url.username);
  } finally {
    await handle.close();
    await dropDatabase(base, name);
  }
});
