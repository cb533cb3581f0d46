/**
 * `npm run bench:catalog`: measures the catalog read path against a trivial handler in the same server.
 * The server runs in a child process (so autocannon does not share its event loop); DATABASE_URL picks PostgreSQL,
 * otherwise embedded PGlite. BENCH_SECONDS (default 8) and BENCH_CONNECTIONS (default 16) bound the run.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

interface Ready {
  port: number;
  db: string;
  ids: string[];
  word: string;
}

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function run(
  url: string,
  paths: () => string,
  length: { duration: number } | { amount: number },
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: CONNECTIONS,
        ...length,
        requests: [{ setupRequest: (req) => ({ ...req, path: paths() }) }],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

async function main() {
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, [path.join(__dirname, 'catalog-server.ts')], {
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const lines = readline.createInterface({ input: child.stdout! });
    const first = await Promise.race([
      new Promise<string>((resolve) => lines.once('line', resolve)),
      exited.then((code) => Promise.reject(new Error(`bench server exited early (${code})`))),
    ]);
    const ready = JSON.parse(first) as Ready;
    const base = `http://127.0.0.1:${ready.port}`;
    let i = 0;
    const targets: [string, () => string][] = [
      ['ceiling (GET /__bench/ceiling)', () => '/__bench/ceiling'],
      ['GET /products/:id (10k ids, rotating)', () => `/products/${ready.ids[i++ % ready.ids.length]}`],
      ['GET /products?limit=20', () => '/products?limit=20'],
      [`GET /products?q=${ready.word}`, () => `/products?q=${ready.word}`],
      // Distinct URLs defeat the 1 s listing micro-cache: what a query per request costs.
      ['uncached: GET /products?limit=20&minPrice=<rotating>', () => `/products?limit=20&minPrice=${i++ % 10_000}`],
      [
        'uncached: GET /products?q=<rotating prefix>',
        () => `/products?q=${ready.word.slice(0, 3)}&minPrice=${i++ % 10_000}`,
      ],
    ];
    console.log(
      `catalog bench: ${ready.db}, ${ready.ids.length} products, ${CONNECTIONS} connections, ${SECONDS}s each`,
    );
    const rows: Row[] = [];
    for (const [name, paths] of targets) {
      // Warm-up: JIT and prepared statements; for by-id, one request per id fills the product cache.
      await run(base, paths, name.includes(':id') ? { amount: ready.ids.length } : { duration: 2 });
      const r = await run(base, paths, { duration: SECONDS });
      rows.push({
        name,
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
      });
    }
    // The ceiling again at the end: on a shared machine one sample can be off; ratios use the mean of both.
    const last = await run(base, targets[0]![1], { duration: SECONDS });
    rows.push({
      name: 'ceiling again',
      rps: last.requests.average,
      p50: last.latency.p50,
      p99: last.latency.p99,
      non2xx: last.non2xx,
      errors: last.errors + last.timeouts,
    });
    const ceiling = (rows[0]!.rps + last.requests.average) / 2;
    console.table(
      rows.map((r) => ({
        endpoint: r.name,
        'req/s': Math.round(r.rps),
        'p50 ms': r.p50,
        'p99 ms': r.p99,
        'non-2xx': r.non2xx,
        errors: r.errors,
        'x ceiling': (r.rps / ceiling).toFixed(2),
      })),
    );
    const bad = rows.filter((r) => r.non2xx > 0 || r.errors > 0);
    if (bad.length) console.log(`FAILED requests on: ${bad.map((r) => r.name).join(', ')}`);
  } finally {
    child.stdin!.end();
    child.kill('SIGTERM');
    await exited;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
