/** The embedded database (PGlite) behind createDb() when no DATABASE_URL is given: development and tests only. */
import fs from 'node:fs';
// Static imports here, and createDb() loads this whole file lazily: a dynamic import() of drizzle-orm/pglite itself
// would load drizzle's ESM build beside the CommonJS one the schema and the queries use, and drizzle then falls back
// from instanceof to walking prototype chains on every query chunk. This file is CommonJS, so its imports are too.
import { drizzle } from 'drizzle-orm/pglite';
import { PGlite } from '@electric-sql/pglite';
// Typo-tolerant search (migration search_quality) needs pg_trgm; PGlite ships it as a contrib extension.
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import * as schema from './schema';
import type { Db, DbHandle } from './client';
import { listenPglite, subscriptions } from './listen';
import { traceQuery } from './tracing';

type Queryable = Pick<PGlite, 'query'>;

/** SQL spans (db/tracing.ts) on drizzle's one call per statement, in transactions too. */
function traced<T extends Queryable>(client: T): T {
  const query = client.query.bind(client);
  client.query = ((text: string, ...rest: unknown[]) =>
    traceQuery('postgresql', text, () =>
      (query as (...a: unknown[]) => Promise<unknown>)(text, ...rest),
    )) as T['query'];
  return client;
}

export async function createPgliteDb(dataDir: string): Promise<DbHandle> {
  if (!dataDir.startsWith('memory://')) fs.mkdirSync(dataDir, { recursive: true });
  const client = new PGlite(dataDir, { extensions: { pg_trgm } });
  await client.waitReady;
  traced(client);
  const transaction = client.transaction.bind(client);
  client.transaction = ((cb: (tx: Queryable) => Promise<unknown>) =>
    transaction((tx) => cb(traced(tx)))) as PGlite['transaction'];
  const db = drizzle(client, { schema }) as unknown as Db;
  const subs = subscriptions((channel, handlers) => listenPglite(client, channel, handlers));
  return {
    db,
    kind: 'pglite',
    location: dataDir,
    listen: subs.listen,
    close: async () => {
      await subs.closeAll();
      await client.close();
    },
  };
}
