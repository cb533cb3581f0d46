/**
 * A fresh, migrated database per test file: a new PostgreSQL database when DATABASE_URL is set (CI),
 * otherwise an in-memory PGlite. Dropped on close.
 */
import { randomBytes } from 'node:crypto';
import { createDb, type DbHandle } from '../../db/client';
import { runMigrations } from '../../db/migrate';

export interface TestDb extends DbHandle {
  /** The postgres URL of this test database, when on PostgreSQL. */
  url?: string;
}

export async function createTestDb(): Promise<TestDb> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const handle = await createDb({ dataDir: 'memory://' });
    await runMigrations(handle);
    return handle;
  }
  const { default: postgres } = await import('postgres');
  const name = `orderly_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const handle = await createDb({ url: url.toString(), max: 20 });
  await runMigrations(handle);
  return {
    ...handle,
    url: url.toString(),
    close: async () => {
      await handle.close();
      await dropDatabase(base, name);
    },
  };
}

/**
 * Drops a throwaway database from the server at `serverUrl`, ending its sessions. WITH (FORCE) may not end a backend
 * of another role: an autovacuum worker that just started on the database refuses with insufficient_privilege
 * (42501). It finishes quickly, so that refusal is retried for up to 10 s.
 */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const { default: postgres } = await import('postgres');
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== '42501' || attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await admin.end();
  }
}
