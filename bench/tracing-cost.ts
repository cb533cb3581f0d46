/**
 * `node --import tsx bench/tracing-cost.ts`: CPU per `GET /products/:id` through the real app in process, with
 * metrics, request logs and tracing off and on, side by side in one run: five apps on one database, measured in
 * alternating blocks, the minimum of each kept (the least disturbed by other work on the machine). Rate limits are
 * off in all five (traffic control, not observability). Spans are exported by OTLP/HTTP
 * to a loopback sink in a child process. BENCH_RATIO (default 1) is OTEL_TRACES_SAMPLER_ARG; BENCH_REQUESTS (2000) the
 * block size. No HTTP server: what is measured is what observability adds to a request, not the socket work.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import { products } from '../db/schema';
import { createThrowawayDb } from '../db/throwaway';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startTracing } from '../lib/tracing';

const RATIO = Number(process.env.BENCH_RATIO ?? 1);
const N = Number(process.env.BENCH_REQUESTS ?? 2000);
const ROUNDS = 6;

/** An OTLP/HTTP endpoint on a free loopback port that accepts and drops everything; resolves with its URL. */
function startSink(): Promise<{ url: string; stop: () => void }> {
  const code = `const s = require('http').createServer((q, r) => { q.resume(); q.on('end', () => r.end('{}')); });
    s.keepAliveTimeout = 120000; s.listen(0, '127.0.0.1', () => console.log(s.address().port));
    process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve) =>
    child.stdout.once('data', (port: Buffer) =>
      resolve({ url: `http://127.0.0.1:${String(port).trim()}`, stop: () => child.kill() }),
    ),
  );
}

async function main() {
  const configOf = (metrics: boolean) =>
    loadConfig({ NODE_ENV: 'development', RATE_LIMIT_ENABLED: 'false', METRICS_ENABLED: String(metrics) });
  const handle = await createThrowawayDb({ serverUrl: process.env.DATABASE_URL, namePrefix: 'orderly_bench_' });
  const sink = await startSink();
  const ids = Array.from({ length: 500 }, () => randomUUID());
  await handle.db.insert(products).values(
    ids.map((id, i) => ({
      id,
      sku: `T-${i}`,
      name: `p ${i}`,
      category: 'tea',
      priceCents: 100 + i,
      currency: 'EUR',
      stock: 5,
    })),
  );
  const tracing = startTracing({ serviceName: 'bench', otlpEndpoint: sink.url, sampleRatio: RATIO })!;
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:7233' }) });
  // Log lines are formatted as in production and dropped: the cost of the line, not of the terminal.
  const devNull = new Writable({ write: (_c, _e, done) => done() });
  const app = (on: { metrics?: boolean; logs?: boolean; tracing?: boolean }) =>
    createApp({
      db: handle.db,
      temporal,
      config: configOf(on.metrics ?? false),
      log: createLogger(on.logs ? 'info' : 'warn', 'bench', { destination: devNull }),
      clock: () => new Date(),
      tracing: on.tracing ? tracing : undefined,
    });
  const apps = {
    off: app({}),
    metrics: app({ metrics: true }),
    'request logs': app({ logs: true }),
    tracing: app({ tracing: true }),
    everything: app({ metrics: true, logs: true, tracing: true }),
  };
  let i = 0;
  const block = async (target: ReturnType<typeof createApp>) => {
    const before = process.cpuUsage();
    for (let k = 0; k < N; k++) await (await target.request(`/products/${ids[i++ % ids.length]}`)).arrayBuffer();
    await tracing.processor.forceFlush(); // the export's serialization is counted in the block that made the spans
    const used = process.cpuUsage(before);
    return (used.user + used.system) / N;
  };
  for (const target of Object.values(apps)) await block(target); // warm-up: JIT, catalog cache
  const best: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, target] of Object.entries(apps))
      best[name] = Math.min(best[name] ?? Infinity, await block(target));
  console.log(`GET /products/:id in process, ${N} requests x ${ROUNDS} rounds, sampling ${RATIO}: µs CPU per request`);
  for (const [name, us] of Object.entries(best))
    console.log(
      `  ${name.padEnd(13)} ${us.toFixed(1).padStart(6)}  (+${(us - best.off!).toFixed(1)}, ${((us / best.off!) * 100).toFixed(0)}%)`,
    );
  await tracing.shutdown();
  sink.stop();
  await handle.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
