/**
 * Two API replicas, each with its own caches and database handle, act as one: a write through one, or a checkout's
 * stock change, is what the next reads through the other show, also after its listening connection was cut.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Client, Connection } from '@temporalio/client';
import { createApp, type App } from '../../api/app';
import { mintToken } from '../../api/auth';
import { createActivities } from '../../activities';
import { z } from 'zod';
import { createDb, type DbHandle } from '../../db/client';
import { parseRows } from '../../db/rows';
import { LISTEN_APPLICATION_NAME } from '../../db/listen';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createActivityDeps } from '../../workers/deps';
import { createTestDb, type TestDb } from '../support/db';
import { waitFor } from '../support/wait';
import { insertOrderFor, productInput } from './fixtures';

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const log = createLogger('silent', 'test');
/** Notifications arrive in milliseconds; this only bounds a failure. */
const SEEN_WITHIN_MS = 5_000;

let dbA: TestDb;
/** Replica B's own handle (its own connections) on PostgreSQL; on PGlite, one process has one database. */
let dbB: DbHandle;
let connection: Connection;
let admin: string;
let closeActivityDeps: () => Promise<void>;
let acts: ReturnType<typeof createActivities>;

interface Replica {
  app: App;
  get(id: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

function replica(handle: DbHandle, opts: { listen: boolean }): Replica {
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const app = createApp({
    db: handle.db,
    temporal,
    config,
    log,
    clock: () => new Date(),
    listen: opts.listen ? handle.listen : undefined,
  });
  return {
    app,
    async get(id) {
      const res = await app.request(`/products/${id}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
  };
}

async function createProduct(through: Replica, over: Record<string, unknown> = {}): Promise<string> {
  const res = await through.app.request('/products', {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify(productInput(over)),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function patch(through: Replica, id: string, body: Record<string, unknown>) {
  const res = await through.app.request(`/products/${id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

/**
 * Whether the replica answers this product from its cache: it reads the product, the name is changed with the
 * notifying trigger off (for this one transaction, so no cache hears of it), and a cached answer still shows the
 * old name. Guards every test below from passing only because a cache was not in use.
 */
async function servesFromCache(r: Replica, id: string): Promise<boolean> {
  const before = (await r.get(id)).body.name as string;
  await dbA.db.transaction(async (tx) => {
    await tx.execute(sql`alter table products disable trigger products_notify`);
    await tx.execute(sql`update products set name = name || '+' where id = ${id}::uuid`);
    await tx.execute(sql`alter table products enable trigger products_notify`);
  });
  return (await r.get(id)).body.name === before;
}

const cachedBy = (r: Replica, id: string) =>
  waitFor(`the replica to serve ${id} from its cache`, () => servesFromCache(r, id), Boolean, SEEN_WITHIN_MS);

const seenBy = (r: Replica, id: string, field: string, value: unknown) =>
  waitFor(
    `${field} of ${id} to be ${JSON.stringify(value)}`,
    () => r.get(id),
    (res) => res.body[field] === value,
    SEEN_WITHIN_MS, // well inside the cache's 30 s TTL, so only an invalidation passes
  );

beforeAll(async () => {
  dbA = await createTestDb();
  dbB = dbA.url ? await createDb({ url: dbA.url, max: 4 }) : dbA;
  connection = Connection.lazy({ address: process.env.ORDERLY_TEST_TEMPORAL_ADDRESS! });
  admin = await mintToken(config.auth.jwtSecret, { sub: randomUUID(), role: 'admin' });
  // The worker's side: activities on replica A's database, as a worker process has its own.
  const built = await createActivityDeps({ config, db: dbA.db, log });
  acts = createActivities(built.deps);
  closeActivityDeps = built.close;
});

afterAll(async () => {
  await closeActivityDeps?.();
  if (dbB && dbB !== dbA) await dbB.close();
  await connection?.close();
  await dbA?.close();
});

test('a product patched through replica A is what the next reads through replica B show', async () => {
  const a = replica(dbA, { listen: true });
  const b = replica(dbB, { listen: true });
  // A replica that hears nothing: the change stays hidden from it for its cache's TTL, so the cache is in the way.
  const deaf = replica(dbB, { listen: false });
  const id = await createProduct(a, { name: 'Green tea' });
  await cachedBy(b, id);
  expect(await servesFromCache(deaf, id)).toBe(true);
  const stale = (await deaf.get(id)).body.name;

  await patch(a, id, { name: 'Black tea', priceCents: 1234 });
  const seen = await seenBy(b, id, 'name', 'Black tea');
  expect(seen.body.priceCents).toBe(1234);
  expect((await deaf.get(id)).body.name).toBe(stale);
});

test("a checkout's stock reservation drops replica B's cached product", async () => {
  const b = replica(dbB, { listen: true });
  const id = await createProduct(b, { stock: 10 });
  await cachedBy(b, id);
  expect((await b.get(id)).body.stock).toBe(10);

  await acts.reserveInventory({ orderId: await insertOrderFor(dbA.db, id) });
  await seenBy(b, id, 'stock', 9);
});

const onPostgres = process.env.DATABASE_URL ? test : test.skip;

onPostgres(
  'a cut listening connection comes back: a write made while it was down is seen, and later ones too',
  async () => {
    const a = replica(dbA, { listen: true });
    const b = replica(dbB, { listen: true });
    const id = await createProduct(a, { name: 'Oolong' });
    await cachedBy(b, id);
    const listeners = async () =>
      parseRows(
        await dbA.db.execute(
          sql`select pid from pg_stat_activity where datname = current_database() and application_name = ${LISTEN_APPLICATION_NAME}`,
        ),
        z.object({ pid: z.number() }),
      ).map((r) => r.pid);
    const cut = await listeners();
    expect(cut.length).toBeGreaterThanOrEqual(2); // A's and B's, at least

    // Cut every listener and write in the same statement: the notification finds no one, and B must notice anyway.
    await dbA.db.execute(sql`
    with cut as (select pg_terminate_backend(pid) from pg_stat_activity
                  where datname = current_database() and application_name = ${LISTEN_APPLICATION_NAME})
    update products set name = 'Missed while down' where id = ${id}::uuid and (select count(*) from cut) >= 0`);
    await seenBy(b, id, 'name', 'Missed while down');
    await waitFor(
      'new listening connections',
      listeners,
      (pids) => pids.length >= cut.length && pids.every((p) => !cut.includes(p)),
      SEEN_WITHIN_MS,
    );

    await cachedBy(b, id);
    await patch(a, id, { name: 'After the cut' });
    await seenBy(b, id, 'name', 'After the cut');
  },
);
