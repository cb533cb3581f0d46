/** Applies the committed SQL migrations; safe to run any number of times and from several processes at once. */
import path from 'node:path';
import type { DbHandle } from './client';

export const MIGRATIONS_FOLDER = path.join(__dirname, 'migrations');

// An arbitrary constant: processes starting together take turns on this advisory lock.
const MIGRATION_LOCK = 727_001;

export async function runMigrations(handle: DbHandle): Promise<void> {
  if (handle.kind === 'pglite') {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(handle.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
    return;
  }
  if (!handle.url) throw new Error('runMigrations: a postgres handle needs its url');
  // Its own single connection, so the session-level lock and the migration share one backend.
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  const client = postgres(handle.url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}

if (require.main === module) {
  // `npm run migrate`: against DATABASE_URL, or the embedded database under DATA_DIR.
  void (async () => {
    const { loadConfig } = await import('../lib/config');
    const { createLogger } = await import('../lib/logger');
    const { createDb } = await import('./client');
    const config = loadConfig();
    const log = createLogger(config.logLevel, 'migrate');
    const handle = await createDb({ url: config.databaseUrl, dataDir: path.join(config.dataDir, 'pglite') });
    try {
      await runMigrations(handle);
      log.info({ db: handle.kind, location: handle.location }, 'migrations applied');
    } finally {
      await handle.close();
    }
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
