/** createDb(): postgres.js when a DATABASE_URL is given, embedded PGlite (on disk, or in memory) when it is not. */
import path from 'node:path';
import fs from 'node:fs';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
// Static imports on purpose: a dynamic import() would load drizzle's ESM build beside the CommonJS one the schema and
// the queries use, and drizzle then falls back from instanceof to walking prototype chains on every query chunk.
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import * as schema from './schema';

export { schema };

/** Both drivers give this: the drizzle query API over our schema. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DbHandle {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Where the data lives, for log lines: a redacted URL or a folder. */
  location: string;
  /** The postgres URL, when kind is 'postgres' (migrations open their own connection with it). */
  url?: string;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /** postgres:// URL. When absent, PGlite is used. */
  url?: string;
  /** PGlite data folder; 'memory://' for a throwaway in-memory database. */
  dataDir?: string;
  /** postgres.js pool size. */
  max?: number;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable)';
  }
}

export async function createDb(options: CreateDbOptions = {}): Promise<DbHandle> {
  if (options.url) {
    const client = postgres(options.url, { max: options.max ?? 10, onnotice: () => {} });
    const db = drizzlePostgres(client, { schema }) as unknown as Db;
    return { db, kind: 'postgres', location: redactUrl(options.url), url: options.url, close: () => client.end({ timeout: 5 }) };
  }
  const dataDir = options.dataDir ?? path.join('.data', 'pglite');
  if (!dataDir.startsWith('memory://')) fs.mkdirSync(dataDir, { recursive: true });
  const client = new PGlite(dataDir);
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return { db, kind: 'pglite', location: dataDir, close: () => client.close() };
}
