/**
 * The topology the chaos runner starts itself when no `make cluster` is given: a private PostgreSQL, the Temporal
 * CLI's dev server on a SQLite file (its state survives a kill), the project's SMTP sink, API_REPLICAS API and
 * WORKER_REPLICAS worker processes (TypeScript through tsx), and HAProxy in front of the APIs. All on loopback.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../../lib/logger';
import { startSmtpSink, type SmtpSink } from '../../lib/smtp-sink';
import { resolveTemporalCli } from '../temporal-cli';
import { freePort, searchAttributeFlags } from '../temporal-dev-server';
import { sinkMailSource } from './mail';
import { temporalAnswers } from '../cluster/cluster';
import { haproxy } from '../cluster/tools';
import { ManagedProcess, httpOk, waitFor } from '../cluster/process';
import { startPrivatePostgres } from './postgres';
import { asProc, type Proc, type Topology, type TopologyOptions, type WorkerBuild } from './topology';

const root = path.resolve(__dirname, '..', '..');
const JWT_SECRET = 'orderly-chaos-jwt-secret-0123456789abcdef';
const WEBHOOK_SECRET = 'orderly-chaos-webhook-secret-0123456789';
const PAYLOAD_KEYS = `chaos:${randomBytes(32).toString('base64')}`;
const CANCELLATION_WINDOW = '15s';
const TASK_QUEUE = 'checkout';
const DEPLOYMENT = 'orderly';

/** `HAPROXY` when set, else the one `make cluster` finds (PATH, /usr/sbin) or installs from Debian's packages. */
function haproxyBin(): string {
  return process.env.HAPROXY || haproxy((m) => console.error(`[chaos] ${m}`));
}

/** HAProxy in front of the API replicas: health-checked on /health, a refused connection is tried on another. */
function haproxyConfig(port: number, apiPorts: number[]): string {
  return [
    'global',
    '  maxconn 4000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  retries 3',
    '  option redispatch',
    '  retry-on conn-failure',
    'frontend orderly',
    `  bind 127.0.0.1:${port}`,
    '  default_backend api',
    'backend api',
    '  balance roundrobin',
    '  option httpchk',
    '  http-check send meth GET uri /health ver HTTP/1.1 hdr host localhost',
    '  http-check expect status 200',
    '  default-server inter 500ms fall 2 rise 1',
    ...apiPorts.map((p, i) => `  server api-${i + 1} 127.0.0.1:${p} check`),
    '',
  ].join('\n');
}

/** A worker is ready once its latest run has logged that it polls (the log file keeps every run, each after a marker). */
function loggedSinceStart(logFile: string, text: string): () => Promise<void> {
  return async () => {
    const log = fs.readFileSync(logFile, 'utf8');
    if (!log.slice(log.lastIndexOf('\n--- ')).includes(text)) throw new Error(`not yet: ${text}`);
  };
}

export async function startLocalTopology(opts: TopologyOptions): Promise<Topology> {
  const { dir, log } = opts;
  fs.mkdirSync(dir, { recursive: true });
  const started: Array<{ stop: () => Promise<unknown> }> = [];
  const close = async () => {
    for (const part of started.reverse()) await part.stop().catch((err: unknown) => log(`stop failed: ${String(err)}`));
  };
  try {
    log('starting a private PostgreSQL');
    const pg = await startPrivatePostgres({ dir, port: await freePort() });
    started.push({ stop: () => pg.stop() });

    const temporalPort = await freePort();
    const temporalAddress = `127.0.0.1:${temporalPort}`;
    const temporalServer = new ManagedProcess({
      name: 'temporal',
      command: resolveTemporalCli(),
      args: [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(temporalPort),
        '--headless',
        '--log-level',
        'warn',
        '--db-filename',
        path.join(dir, 'temporal.db'),
        ...searchAttributeFlags(),
      ],
      logFile: path.join(dir, 'temporal.log'),
      stopTimeoutMs: 15_000,
      ready: (proc) =>
        waitFor('the dev server answers', () => temporalAnswers(temporalAddress), { timeoutMs: 60_000, proc }),
    });
    log('starting the Temporal dev server (SQLite file)');
    await temporalServer.start();
    started.push({ stop: () => temporalServer.stop() });

    const smtpPort = await freePort();
    const outbox = path.join(dir, 'outbox');
    let sink: SmtpSink | undefined;
    const sinkLog = createLogger('warn', 'smtp-sink');
    const mailServer: Proc = {
      name: 'smtp-sink',
      get running() {
        return !!sink;
      },
      start: async () => {
        sink = await startSmtpSink({ port: smtpPort, dir: outbox, log: sinkLog });
      },
      stop: async () => {
        await sink?.close();
        sink = undefined;
        return true;
      },
    };
    await mailServer.start();
    started.push({ stop: () => mailServer.stop() });

    const lbPort = await freePort();
    const baseUrl = `http://127.0.0.1:${lbPort}`;
    const env = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      DATABASE_URL: pg.url,
      TEMPORAL_ADDRESS: temporalAddress,
      TASK_QUEUE,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      AUTH_JWT_SECRET: JWT_SECRET,
      PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      // A fresh payload key per run: the chaos run's histories live only as long as it does.
      PAYLOAD_KEYS,
      PAYMENT_CONFIRMATION_TIMEOUT: '2m',
      CANCELLATION_WINDOW,
      PUBLIC_BASE_URL: baseUrl,
      WORKER_DEPLOYMENT_NAME: DEPLOYMENT,
      ...extra,
    });
    const tsx = (file: string) => ['--import', 'tsx', path.join(root, file)];

    const apis = await Promise.all(
      Array.from({ length: opts.apiReplicas }, async (_, i) => {
        const port = await freePort();
        return new ManagedProcess({
          name: `api-${i + 1}`,
          command: process.execPath,
          args: tsx('api/main.ts'),
          cwd: root,
          env: env({ PORT: String(port) }),
          logFile: path.join(dir, `api-${i + 1}.log`),
          stopTimeoutMs: 20_000,
          ready: (proc) =>
            waitFor('/health answers', () => httpOk(`http://127.0.0.1:${port}/health`), { timeoutMs: 120_000, proc }),
        });
      }),
    );
    const apiPorts = apis.map((a) => Number(a.spec.env!.PORT));
    log(`starting ${apis.length} API processes`);
    // The first runs the migrations alone; the others find them applied.
    await apis[0]!.start();
    await Promise.all(apis.slice(1).map((a) => a.start()));
    for (const a of apis) started.push({ stop: () => a.stop() });

    let workerSeq = 0;
    const startWorkers = async (build: WorkerBuild, count: number) => {
      const batch = Array.from({ length: count }, () => {
        workerSeq += 1;
        const name = `worker-${workerSeq}`;
        const logFile = path.join(dir, `${name}.log`);
        const proc = new ManagedProcess({
          name,
          command: process.execPath,
          args: tsx('workers/main.ts'),
          cwd: root,
          env: env({ WORKER_BUILD_ID: build.buildId, WORKFLOW_BUNDLE_PATH: build.bundlePath }),
          logFile,
          stopTimeoutMs: 45_000,
          ready: (p) =>
            waitFor('the worker polls', loggedSinceStart(logFile, '"msg":"worker polling"'), {
              timeoutMs: 120_000,
              proc: p,
            }),
        });
        started.push({ stop: () => proc.stop() });
        return proc;
      });
      await Promise.all(batch.map((w) => w.start()));
      return batch;
    };
    log(`starting ${opts.workerReplicas} workers (build ${opts.build.buildId})`);
    const workers = await startWorkers(opts.build, opts.workerReplicas);

    const cfg = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(cfg, haproxyConfig(lbPort, apiPorts));
    const haproxy = new ManagedProcess({
      name: 'haproxy',
      command: haproxyBin(),
      args: ['-f', cfg, '-db'],
      logFile: path.join(dir, 'haproxy.log'),
      stopTimeoutMs: 5_000,
      ready: (proc) => waitFor('HAProxy answers', () => httpOk(`${baseUrl}/health`), { timeoutMs: 30_000, proc }),
    });
    await haproxy.start();
    started.push({ stop: () => haproxy.stop() });

    const topology: Topology = {
      describe:
        `local: private PostgreSQL, Temporal dev server (SQLite file), SMTP sink, ${apis.length} API + ` +
        `${workers.length} worker processes (tsx), HAProxy`,
      baseUrl,
      databaseUrl: pg.url,
      temporal: { address: temporalAddress, namespace: 'default', taskQueue: TASK_QUEUE },
      secrets: { jwt: JWT_SECRET, webhook: WEBHOOK_SECRET },
      cancellationWindowMs: 15_000,
      mail: sinkMailSource(outbox),
      apis: apis.map(asProc),
      workers: workers.map(asProc),
      temporalServer: asProc(temporalServer),
      mailServer,
      postgres: {
        terminateConnections: () => pg.terminateConnections(['orderly']),
        restart: () => pg.restart(),
      },
      deployment: { name: DEPLOYMENT, current: opts.build },
      startWorkers: async (build) => (await startWorkers(build, topology.workers.length)).map(asProc),
      close,
    };
    return topology;
  } catch (err) {
    await close();
    throw err;
  }
}
