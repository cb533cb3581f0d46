/**
 * A fresh, migrated database that is dropped on close, for tests and benchmarks: a new PostgreSQL database next to
 * the one `serverUrl` names (CI, benchmarks on PostgreSQL), otherwise an in-memory PGlite.
 */
import { randomBytes } from 'node:crypto';
import { createDb, type DbHandle } from './client';
import { runMigrations } from './migrate';

export interface ThrowawayDbOptions {
  /** A postgres:// URL of a database on the server to create the throwaway one on; PGlite in memory when absent. */
  serverUrl?: string;
  /** The new database's name is this plus random hex. */
  namePrefix?: string;
  /** postgres.js pool size. */
  max?: number;
}

export async function createThrowawayDb(options: ThrowawayDbOptions = {}): Promise<DbHandle> {
  const { serverUrl, namePrefix = 'orderly_t_', max = 20 } = options;
  if (!serverUrl) {
    const handle = await createDb({ dataDir: 'memory://' });
    await runMigrations(handle);
    return handle;
  }
  const { default: postgres } = await import('postgres');
  const name = `${namePrefix}${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = await createDb({ url: url.toString(), max });
  await runMigrations(handle);
  return {
    ...handle,
    close: async () => {
      await handle.close();
      await dropDatabase(serverUrl, name);
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
