/**
 * `npm run bench:catalog`: the catalog read path against a bare Hono handler served the same way in the same process
 * (bench/catalog-server.ts, a child process so autocannon does not share its event loop). Every side runs once per
 * round, in alternating order; ratios are taken within a round. Prints a table and writes the figures to
 * .data/bench/catalog.json (or BENCH_JSON). DATABASE_URL picks PostgreSQL, otherwise embedded PGlite.
 * BENCH_SECONDS (5) per side, BENCH_ROUNDS (2), BENCH_CONNECTIONS (16).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';
import { machine, printTable, writeFigures } from './report';
import { ratioInterval } from './ratio-stats';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

interface Ready {
  ports: { bare: number; app: number };
  db: 'postgres' | 'pglite';
  ids: string[];
  word: string;
}

/** One bench server process (bench/catalog-server.ts). */
interface Server extends Ready {
  cpu(): Promise<{ api: number; db: number }>;
  stop(): Promise<void>;
}

interface Side {
  name: string;
  server: Server;
  port: number;
  path: () => string;
  /** Fill the product cache before measuring. */
  fill?: boolean;
  /** The side its ratio is taken against, and the target for that ratio. */
  versus: 'bare' | 'trivial' | 'by id';
  target?: number;
}

interface Sample {
  rps: number;
  /** CPU ms per request: the server process, and PostgreSQL's backends for its database. */
  apiMs: number;
  dbMs: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function load(port: number, paths: () => string, length: { duration: number } | { amount: number }) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        ...length,
        requests: [{ setupRequest: (req) => ({ ...req, path: paths() }) }],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/** An OTLP/HTTP endpoint that accepts and drops every export, standing in for a collector. */
async function startSink(): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

async function startServer(env: NodeJS.ProcessEnv): Promise<Server> {
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, [path.join(__dirname, 'catalog-server.ts')], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.stdin!.end();
    child.kill('SIGTERM');
    await exited;
  };
  try {
    const lines = readline.createInterface({ input: child.stdout! });
    const first = await Promise.race([
      new Promise<string>((resolve) => lines.once('line', resolve)),
      exited.then((code) => Promise.reject(new Error(`bench server exited early (${code})`))),
    ]);
    const ready = JSON.parse(first) as Ready;
    const cpu = async () => {
      const res = await fetch(`http://127.0.0.1:${ready.ports.bare}/cpu`);
      return (await res.json()) as { api: number; db: number };
    };
    return { ...ready, cpu, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function main() {
  const sink = await startSink();
  const servers: Server[] = [];
  try {
    const plain = await startServer({ OTLP_SINK: '' });
    servers.push(plain);
    const observed = await startServer({ OTLP_SINK: sink.url, BENCH_SAMPLE: '1' });
    servers.push(observed);
    const observedTenth = await startServer({ OTLP_SINK: sink.url, BENCH_SAMPLE: '0.1' });
    servers.push(observedTenth);
    let i = 0;
    const byId = (ready: Ready) => () => `/products/${ready.ids[i++ % ready.ids.length]}`;
    const word = plain.word;
    const app = { server: plain, port: plain.ports.app };
    const sides: Side[] = [
      { name: 'bare Hono (ceiling)', server: plain, port: plain.ports.bare, path: () => '/', versus: 'bare' },
      { name: 'trivial route, app middleware', ...app, path: () => '/__bench/trivial', versus: 'bare' },
      { name: 'GET /products/:id (cached)', ...app, path: byId(plain), fill: true, versus: 'bare', target: 0.7 },
      {
        name: 'GET /products?limit=20 (cached)',
        ...app,
        path: () => '/products?limit=20',
        versus: 'bare',
        target: 0.5,
      },
      { name: `GET /products?q=${word} (cached)`, ...app, path: () => `/products?q=${word}`, versus: 'bare' },
      // Distinct URLs defeat the 1 s listing micro-cache: what a query per request costs.
      {
        name: 'uncached listing',
        ...app,
        path: () => `/products?limit=20&minPrice=${i++ % 10_000}`,
        versus: 'trivial',
        target: plain.db === 'postgres' ? 0.3 : undefined,
      },
      {
        name: 'uncached search',
        ...app,
        path: () => `/products?q=${word.slice(0, 3)}&minPrice=${i++ % 10_000}`,
        versus: 'trivial',
      },
      {
        name: 'GET /products/:id, logs+tracing',
        server: observed,
        port: observed.ports.app,
        path: byId(observed),
        fill: true,
        versus: 'by id',
      },
      {
        name: 'GET /products/:id, logs+tracing 10%',
        server: observedTenth,
        port: observedTenth.ports.app,
        path: byId(observedTenth),
        fill: true,
        versus: 'by id',
      },
    ];
    const ready = plain;
    console.log(
      `catalog bench: ${ready.db}, ${ready.ids.length} products, ${CONNECTIONS} connections, ` +
        `${SECONDS}s per side, ${ROUNDS} rounds`,
    );
    // Warm-up: JIT, prepared statements.
    for (const side of sides) await load(side.port, side.path, { duration: 2 });
    const samples = new Map<string, Sample[]>(sides.map((s) => [s.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of round % 2 ? [...sides].reverse() : sides) {
        // The product cache keeps an entry 30 s: fill it again, as a steady stream of browsing keeps it full.
        if (side.fill) await load(side.port, side.path, { amount: ready.ids.length });
        const before = await side.server.cpu();
        const r = await load(side.port, side.path, { duration: SECONDS });
        const after = await side.server.cpu();
        const n = r.requests.total;
        samples.get(side.name)!.push({
          rps: r.requests.average,
          apiMs: ((after.api - before.api) * 1000) / n,
          dbMs: ((after.db - before.db) * 1000) / n,
          p50: r.latency.p50,
          p99: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors + r.timeouts,
        });
      }
    }

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const of = (name: string) => samples.get(name)!;
    const reference = { bare: of(sides[0]!.name), trivial: of(sides[1]!.name), 'by id': of(sides[2]!.name) };
    const figures = sides.map((side) => {
      const s = of(side.name);
      const ref = reference[side.versus];
      const rate = ratioInterval(s.map((x, k) => x.rps / ref[k]!.rps));
      // At equal CPU, how many of these per reference request: the ratio that load on the machine moves least.
      const byCpu = ratioInterval(s.map((x, k) => (ref[k]!.apiMs + ref[k]!.dbMs) / (x.apiMs + x.dbMs)));
      return {
        side: side.name,
        path: side.fill ? '/products/:id' : side.path(),
        versus: side.versus,
        target: side.target ?? null,
        rps: mean(s.map((x) => x.rps)),
        cpuMsPerRequest: mean(s.map((x) => x.apiMs)),
        dbCpuMsPerRequest: mean(s.map((x) => x.dbMs)),
        p50Ms: mean(s.map((x) => x.p50)),
        p99Ms: mean(s.map((x) => x.p99)),
        ratio: rate.mean,
        ratioCi95: rate.ci95,
        cpuRatio: byCpu.mean,
        non2xx: s.reduce((a, x) => a + x.non2xx, 0),
        errors: s.reduce((a, x) => a + x.errors, 0),
        rounds: s,
      };
    });
    printTable(
      `catalog bench, ${ready.db}: ratios per round against the side named, geometric mean over ${ROUNDS} rounds`,
      figures.map((f) => ({
        side: f.side,
        'req/s': f.rps,
        'api CPU ms/req': f.cpuMsPerRequest,
        ...(ready.db === 'postgres' ? { 'PG CPU ms/req': f.dbCpuMsPerRequest } : {}),
        'p50/p99 ms': `${f.p50Ms.toFixed(0)}/${f.p99Ms.toFixed(0)}`,
        'x (req/s)': f.ratio,
        'x (CPU)': f.cpuRatio,
        of: f.versus,
        target: f.target,
        'non-2xx+errors': f.non2xx + f.errors,
      })),
    );
    const file = writeFigures('.data/bench/catalog.json', {
      bench: 'catalog',
      machine: machine(),
      db: ready.db,
      products: ready.ids.length,
      connections: CONNECTIONS,
      secondsPerSide: SECONDS,
      rounds: ROUNDS,
      sides: figures,
    });
    console.log(`figures written to ${file}`);
    const bad = figures.filter((f) => f.non2xx + f.errors > 0);
    if (bad.length) {
      console.log(`FAILED requests on: ${bad.map((f) => f.side).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    sink.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
