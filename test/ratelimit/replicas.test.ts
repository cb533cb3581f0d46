/**
 * Two API replicas over one database count against the same limits: what a caller used through one is used on the
 * other, for checkouts (every request counted in the database) and reads (counted in the process, added up every
 * RATE_LIMIT_READ_SYNC). When the shared counters cannot be reached, each replica limits on its own: open, not closed.
 * On PostgreSQL (DATABASE_URL) each replica has its own connections; on PGlite they share the one embedded database.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Client, Connection } from '@temporalio/client';
import { createApp, type App } from '../../api/app';
import { mintToken } from '../../api/auth';
import { createDb, type DbHandle } from '../../db/client';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createTestDb, type TestDb } from '../support/db';
import { waitFor } from '../support/wait';

const log = createLogger('silent', 'test');
const env = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_CHECKOUT: '2/1m',
  RATE_LIMIT_READ: '5/1m',
  RATE_LIMIT_READ_SYNC: '50ms',
  // A loaded machine must not make the store look down; the slow-store test sets its own.
  RATE_LIMIT_STORE_TIMEOUT: '10s',
} as const;
const config = loadConfig(env);

let dbA: TestDb;
let dbB: DbHandle;
let connection: Connection;

beforeAll(async () => {
  dbA = await createTestDb();
  dbB = dbA.url ? await createDb({ url: dbA.url, max: 4 }) : dbA;
  connection = Connection.lazy({ address: '127.0.0.1:7233' });
});
afterAll(async () => {
  if (dbB && dbB !== dbA) await dbB.close();
  await connection?.close();
  await dbA?.close();
});

const replica = (handle: DbHandle, storeTimeout?: string): App =>
  createApp({
    db: handle.db,
    temporal: new Client({ connection }),
    config: storeTimeout ? loadConfig({ ...env, RATE_LIMIT_STORE_TIMEOUT: storeTimeout }) : config,
    log,
    clock: () => new Date(),
  });

const token = () => mintToken(config.auth.jwtSecret, { sub: randomUUID(), role: 'customer' });

async function checkout(app: App, bearer: string): Promise<number> {
  const res = await app.request('/checkout', {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: '{}',
  });
  return res.status;
}

const read = async (app: App, bearer: string) =>
  (await app.request('/products', { headers: { authorization: `Bearer ${bearer}` } })).status;

/** The shared counter of a caller under a policy, as the database holds it. */
async function storedPoints(policy: string, sub: string): Promise<number | undefined> {
  const result = (await dbA.db.execute(
    sql`select points from rate_limits where key = ${`${policy}:u:${sub}`} and expire > now()`,
  )) as unknown as { points: number }[] | { rows: { points: number }[] };
  const rows = Array.isArray(result) ? result : result.rows;
  return rows[0]?.points;
}

const subOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).sub as string;

test('checkouts used through replica A count on replica B', async () => {
  const [a, b] = [replica(dbA), replica(dbB)];
  const bearer = await token();
  expect(await checkout(a, bearer)).toBe(400);
  expect(await checkout(a, bearer)).toBe(400);
  expect(await storedPoints('checkout', subOf(bearer))).toBe(2);
  expect(await checkout(b, bearer)).toBe(429);
  // Another caller is untouched on either replica.
  expect(await checkout(b, await token())).toBe(400);
});

test('reads are counted in the process and added to the shared counter, which the other replica then obeys', async () => {
  const [a, b] = [replica(dbA), replica(dbB)];
  const bearer = await token();
  for (let i = 0; i < 5; i += 1) expect(await read(a, bearer)).toBe(200);
  expect(await read(a, bearer)).toBe(429);
  // The first read went to the database at once; the other four follow within a sync interval.
  await waitFor(
    'the shared read counter to reach 5',
    () => storedPoints('read', subOf(bearer)),
    (n) => n === 5,
    5_000,
  );
  expect(await read(b, bearer)).toBe(429);
});

test('with the shared counters unreachable each replica limits on its own, and sharing resumes when they return', async () => {
  const [a, b] = [replica(dbA), replica(dbB)];
  const bearer = await token();
  await dbA.db.execute(sql`alter table rate_limits rename to rate_limits_away`);
  try {
    // Open: requests go on, but not unlimited: each replica allows the policy's points by itself.
    expect(await checkout(a, bearer)).toBe(400);
    expect(await checkout(a, bearer)).toBe(400);
    expect(await checkout(a, bearer)).toBe(429);
    expect(await checkout(b, bearer)).toBe(400);
  } finally {
    await dbA.db.execute(sql`alter table rate_limits_away rename to rate_limits`);
  }
  const other = await token();
  expect(await checkout(a, other)).toBe(400);
  expect(await checkout(a, other)).toBe(400);
  expect(await checkout(b, other)).toBe(429);
});

test('a store slower than RATE_LIMIT_STORE_TIMEOUT is not waited for: the per-process limit answers', async () => {
  const app = replica(dbB, '300ms');
  const bearer = await token();
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  // Every count waits on this lock until the test lets go of it.
  const holder = dbA.db.transaction(async (tx) => {
    await tx.execute(sql`lock table rate_limits in access exclusive mode`);
    locked();
    await held;
  });
  await isLocked;
  try {
    const bounded = async <T>(p: Promise<T>) => {
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('waited for the locked store')), 10_000);
      });
      try {
        return await Promise.race([p, stuck]);
      } finally {
        clearTimeout(timer);
      }
    };
    // Answered while the counters are still locked: validation (400), then the in-process limit (429).
    expect(await bounded(checkout(app, bearer))).toBe(400);
    expect(await bounded(checkout(app, bearer))).toBe(400);
    expect(await bounded(checkout(app, bearer))).toBe(429);
  } finally {
    release();
    await holder;
  }
});
