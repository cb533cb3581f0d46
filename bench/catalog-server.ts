/**
 * The catalog bench's server half, one process, two servers on 127.0.0.1 (both @hono/node-server):
 * - `bare`: a Hono app with one JSON route and none of Orderly's middleware, the ceiling;
 * - `app`: the real app (metrics on, rate limits on with a quota no run reaches, request logs off) plus a trivial JSON
 *   route behind the same middleware, on a fresh database holding 10,000 products. With OTLP_SINK set, request logs
 *   (to BENCH_LOG_FILE, default /dev/null) and tracing (exported by OTLP/HTTP to that URL, sampling BENCH_SAMPLE,
 *   default 1) are on as well: tracing's context manager hooks every promise in the process, so an app with it runs
 *   in a process of its own.
 * GET /cpu on the bare server gives the CPU seconds used so far by this process and by the PostgreSQL backends serving
 * the bench's database. Prints one JSON line {ports, db, ids, word} when ready.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import pino from 'pino';
import { sql } from 'drizzle-orm';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import type { DbHandle } from '../db/client';
import { products } from '../db/schema';
import { createThrowawayDb } from '../db/throwaway';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startTracing } from '../lib/tracing';
import { selfCpuSeconds, treeCpuSeconds } from './report';

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

async function listen(fetch: (req: Request) => Response | Promise<Response>) {
  const server = serve({ fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return { server, port: (server.address() as AddressInfo).port };
}

async function main() {
  // One client address makes every request: the read quota is one no run reaches, so the limit's work is counted.
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'development',
    METRICS_ENABLED: 'true',
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_READ: '9999999/1m',
  });
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
  const deps = { db: handle.db, temporal, config, clock: () => new Date() };
  const sink = process.env.OTLP_SINK;
  const sampleRatio = Number(process.env.BENCH_SAMPLE ?? 1);
  const tracing = sink ? startTracing({ serviceName: 'bench', otlpEndpoint: sink, sampleRatio }) : undefined;
  // Lines formatted and written as in production, to a file descriptor that drops them.
  const log = sink
    ? createLogger('info', 'bench', {
        destination: pino.destination({ dest: process.env.BENCH_LOG_FILE ?? '/dev/null', sync: false }),
      })
    : createLogger('warn', 'bench');
  const app = createApp({ ...deps, log, tracing });
  app.get('/__bench/trivial', (c) => c.json({ ok: true }));

  const bare = new Hono();
  bare.get('/', (c) => c.json({ ok: true }));
  // PostgreSQL's work for the bench: the backends of its own database (other databases' work is not counted).
  const backendPids = async (): Promise<number[]> => {
    if (handle.kind !== 'postgres') return [];
    const rows = await handle.db.execute<{ pid: number }>(
      sql`select pid from pg_stat_activity where datname = current_database()`,
    );
    // postgres.js answers an array of rows.
    return (rows as unknown as { pid: number }[]).map((r) => Number(r.pid));
  };
  bare.get('/cpu', async (c) => {
    const pids = await backendPids();
    const db = pids.reduce((sum, pid) => sum + (fs.existsSync(`/proc/${pid}`) ? treeCpuSeconds(pid) : 0), 0);
    return c.json({ api: selfCpuSeconds(), db, backends: pids.length });
  });

  const servers = { bare: await listen(bare.fetch), app: await listen(app.fetch) };
  const ports = Object.fromEntries(Object.entries(servers).map(([k, s]) => [k, s.port]));
  process.stdout.write(`${JSON.stringify({ ports, db: handle.kind, ids, word: WORDS[3] })}\n`);

  const stop = async () => {
    for (const s of Object.values(servers)) s.server.close();
    // No tracing shutdown: its last export could wait on a sink that has already gone.
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
