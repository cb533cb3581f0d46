/**
 * `make fuzz`: Orderly on loopback (a Temporal dev server on free ports unless TEMPORAL_ADDRESS is set, PGlite unless
 * DATABASE_URL is set, the demo catalog, a worker and the API), then schemathesis against its /openapi.json, once as
 * an admin and once as a customer. Prints the figures and exits 1 on any failed check or too few requests.
 * FUZZ_EXAMPLES (per operation and phase), FUZZ_SEED, FUZZ_MAX_TIME (seconds per run), FUZZ_MIN_REQUESTS tune it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { mintToken } from '../../api/auth';
import { createApp } from '../../api/app';
import { serveApi } from '../../api/main';
import { createThrowawayDb } from '../../db/throwaway';
import { seedCatalog } from '../../db/seed';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { installTemporalRuntime, startWorker } from '../../workers/main';
import { buildWorkflowBundle } from '../build-workflow-bundle';
import { resolveTemporalCli } from '../temporal-cli';
import { freePort, startDevServer, type DevServer } from '../temporal-dev-server';
import { resolveSchemathesis, runSchemathesis, type FuzzFigures } from './schemathesis';

const int = (name: string, dflt: number) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
  return v;
};

export interface FuzzOptions {
  maxExamples: number;
  seed: number;
  maxTime: number;
  minRequests: number;
  reportDir: string;
}

/** Starts Orderly, fuzzes it as admin and as customer, stops everything; returns both runs' figures. */
export async function fuzzOrderly(opts: FuzzOptions, say: (m: string) => void): Promise<FuzzFigures[]> {
  const stops: (() => Promise<void>)[] = [];
  try {
    const st = resolveSchemathesis(say);
    let server: DevServer | undefined;
    let address = process.env.TEMPORAL_ADDRESS;
    if (!address) {
      const logFile = fs.createWriteStream(path.join(opts.reportDir, 'temporal.log'));
      server = await startDevServer({ cli: resolveTemporalCli(say), port: await freePort(), logFile });
      stops.push(() => server!.stop());
      address = server.address;
    }
    const config = loadConfig({
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
      TEMPORAL_ADDRESS: address,
      TASK_QUEUE: `fuzz-${randomUUID()}`,
    });
    const log = createLogger(config.logLevel, 'fuzz');
    installTemporalRuntime(log);
    const db = await createThrowawayDb({ serverUrl: process.env.DATABASE_URL });
    stops.push(() => db.close());
    await seedCatalog(db.db);
    const bundle = await buildWorkflowBundle(path.join(opts.reportDir, 'workflow-bundle.js'));
    const worker = await startWorker({ config, db: db.db, log, workflowBundlePath: bundle });
    stops.push(() => worker.stop());
    const connection = await Connection.connect({ address });
    stops.push(() => connection.close());
    const temporal = new Client({ connection, namespace: config.temporal.namespace });
    const app = createApp({ db: db.db, temporal, config, log, clock: () => new Date() });
    const api = await serveApi(app, { host: '127.0.0.1', port: 0, log });
    stops.push(() => api.close());
    say(`Orderly at ${api.url}; reports in ${opts.reportDir}`);

    const figures: FuzzFigures[] = [];
    for (const role of ['admin', 'customer'] as const) {
      const token = await mintToken(config.auth.jwtSecret, { sub: randomUUID(), role });
      say(`schemathesis as ${role}: up to ${opts.maxExamples} examples per operation, seed ${opts.seed}`);
      figures.push(
        await runSchemathesis(st, {
          url: api.url,
          token,
          label: role,
          reportDir: opts.reportDir,
          maxExamples: opts.maxExamples,
          seed: opts.seed,
          maxTime: opts.maxTime,
        }),
      );
    }
    return figures;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}

/** The printed figures, and whether they pass. */
export function judge(figures: FuzzFigures[], minRequests: number): { ok: boolean; lines: string[] } {
  const total = figures.reduce((a, f) => a + f.requests, 0);
  const lines = figures.map(
    (f) =>
      `${f.label.padEnd(8)} requests ${String(f.requests).padStart(6)}  server errors ${f.serverErrors}  ` +
      `failed checks ${JSON.stringify(f.failures)}  statuses ${JSON.stringify(f.byStatus)}  exit ${f.exitCode}`,
  );
  lines.push(`total    requests ${total} (at least ${minRequests} required)`);
  const ok =
    total >= minRequests &&
    figures.every((f) => f.exitCode === 0 && f.serverErrors === 0 && Object.keys(f.failures).length === 0);
  return { ok, lines };
}

if (require.main === module) {
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-fuzz-'));
  const opts: FuzzOptions = {
    maxExamples: int('FUZZ_EXAMPLES', 20),
    seed: int('FUZZ_SEED', 14),
    maxTime: int('FUZZ_MAX_TIME', 420),
    minRequests: int('FUZZ_MIN_REQUESTS', 5000),
    reportDir,
  };
  const started = Date.now();
  fuzzOrderly(opts, (m) => console.error(`[fuzz] ${m}`))
    .then((figures) => {
      const { ok, lines } = judge(figures, opts.minRequests);
      for (const f of figures) if (f.exitCode !== 0) console.error(f.tail);
      console.log(`make fuzz, ${new Date().toISOString()}, ${Math.round((Date.now() - started) / 1000)} s`);
      for (const l of lines) console.log(l);
      console.log(ok ? 'PASS' : `FAIL (reports in ${reportDir})`);
      process.exit(ok ? 0 : 1);
    })
    .catch((err: unknown) => {
      console.error('fuzz failed:', err);
      process.exit(1);
    });
}
