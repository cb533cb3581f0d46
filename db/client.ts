/**
 * createDb(): postgres.js when a DATABASE_URL is given, embedded PGlite (on disk, or in memory) when it is not.
 * PGlite is a development dependency: it is loaded only on the second path, so a production install has none.
 */
import path from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres, { type Sql, type TransactionSql } from 'postgres';
import * as schema from './schema';
import { listenPostgres, subscriptions, type Listen } from './listen';
import { traceQuery } from './tracing';

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
  /** LISTEN on a channel, reconnecting when needed; close() ends every subscription first. */
  listen: Listen;
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

/** A transaction handle (drizzle passes the same query API inside db.transaction). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * drizzle's postgres.js adapter asks for an unprepared statement on every query not built with `.prepare(name)`
 * (drizzle-orm#6096), so PostgreSQL parses and plans each one again. This makes them named prepared statements,
 * which is postgres.js's own default for its tagged templates; postgres.js keeps one per statement text and connection.
 * On the checkout path it took PostgreSQL's CPU per checkout from 7.4 to 4.3 ms. A client created with
 * `prepare: false` (for a pooler in transaction mode) still gets none: postgres.js lets the client setting win.
 */
function preparedByDefault<T extends Sql | TransactionSql>(client: T): T {
  const wrapped = client as Sql & Partial<Pick<TransactionSql, 'savepoint'>>;
  const { unsafe, begin, savepoint } = wrapped;
  wrapped.unsafe = ((query, args, options) =>
    traceQuery('postgresql', query, () => unsafe(query, args, { ...options, prepare: true }))) as Sql['unsafe'];
  // begin([options,] cb) and savepoint([name,] cb): the transaction's own sql, given to cb, is wrapped as well.
  const wrappingCallback =
    (open: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      const cb = args.pop() as (tx: TransactionSql) => unknown;
      return open(...args, (tx: TransactionSql) => cb(preparedByDefault(tx)));
    };
  if (typeof begin === 'function')
    wrapped.begin = wrappingCallback(begin as (...args: unknown[]) => unknown) as Sql['begin'];
  if (typeof savepoint === 'function')
    wrapped.savepoint = wrappingCallback(savepoint as (...args: unknown[]) => unknown) as TransactionSql['savepoint'];
  return client;
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
    const client = preparedByDefault(postgres(options.url, { max: options.max ?? 10, onnotice: () => {} }));
    const db = drizzlePostgres(client, { schema }) as unknown as Db;
    const url = options.url;
    const subs = subscriptions((channel, handlers) => listenPostgres(url, channel, handlers));
    return {
      db,
      kind: 'postgres',
      location: redactUrl(url),
      url,
      listen: subs.listen,
      close: async () => {
        await subs.closeAll();
        await client.end({ timeout: 5 });
      },
    };
  }
  const { createPgliteDb } = await import('./pglite');
  return createPgliteDb(options.dataDir ?? path.join('.data', 'pglite'));
}
