/**
 * The benchmark's server half: the real app (plus a trivial ceiling route) on a fresh database holding 10,000
 * products, served by @hono/node-server on 127.0.0.1. Prints one JSON line {port, ids, word} when ready.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { sql } from 'drizzle-orm';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import type { DbHandle } from '../db/client';
import { products } from '../db/schema';
import { createThrowawayDb } from '../db/throwaway';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';

export const PRODUCTS = 10_000;
const WORDS = ['green', 'black', 'oolong', 'white', 'herbal', 'jasmine', 'earl', 'chai', 'matcha', 'rooibos'];
const ADJECTIVES = ['smoky', 'fresh', 'organic', 'bold', 'sweet', 'floral', 'roasted', 'spiced', 'mellow', 'bright'];
const CATEGORIES = ['tea', 'coffee', 'cups', 'pots', 'gifts'];

async function load(handle: DbHandle): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < PRODUCTS; start += 1000) {
    const rows = Array.from({ length: 1000 }, (_, j) => {
      const i = start + j;
      const id = randomUUID();
      ids.push(id);
      return {
        id,
        sku: `BENCH-${i}`,
        name: `${ADJECTIVES[i % 10]} ${WORDS[Math.floor(i / 10) % 10]} ${i}`,
        description: `A ${ADJECTIVES[(i * 7) % 10]} product for the benchmark, number ${i}.`,
        category: CATEGORIES[i % 5]!,
        priceCents: 100 + ((i * 37) % 10_000),
        currency: 'EUR',
        stock: i % 9,
      };
    });
    await handle.db.insert(products).values(rows);
  }
  return ids;
}

async function main() {
  // One client address makes every request: the rate limit is off unless RATE_LIMIT_ENABLED=true asks to measure it.
  const config = loadConfig({
    RATE_LIMIT_ENABLED: 'false',
    ...process.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    NODE_ENV: 'development',
  });
  const log = createLogger(config.logLevel, 'bench');
  // A throwaway database next to the given one (or in-memory PGlite), so the bench never touches real data.
  const handle = await createThrowawayDb({
    serverUrl: process.env.DATABASE_URL,
    namePrefix: 'orderly_bench_',
    max: 10,
  });
  const ids = await load(handle);
  // Planner statistics, as autovacuum would gather after a bulk load (PGlite has no autovacuum).
  await handle.db.execute(sql`analyze products`);
  // Catalog routes never call Temporal: a lazy connection is never dialled.
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:7233' }) });
  const app = createApp({ db: handle.db, temporal, config, log, clock: () => new Date() });
  app.get('/__bench/ceiling', (c) => c.json({ ok: true }));
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port, db: handle.kind, ids, word: WORDS[3] })}\n`);

  const stop = async () => {
    server.close();
    await handle.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop()); // the parent went away
  process.stdin.resume();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
