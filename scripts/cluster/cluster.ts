/**
 * The production topology on one machine, as a library: PostgreSQL, the Temporal server (PostgreSQL persistence and
 * SQL visibility) with its Web UI server, Mailpit, API replicas behind HAProxy, worker replicas and Prometheus scraping
 * all of them. `make cluster`
 * (main.ts) runs it until Ctrl-C; the cluster suite and `make chaos` start it and stop, kill and restart its parts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { createDb } from '../../db/client';
import { runMigrations } from '../../db/migrate';
import { seedCatalog } from '../../db/seed';
import { freePort, portInUse } from '../temporal-dev-server';
import {
  deployPath,
  mailpitEnv,
  TEMPORAL_INTERNAL_PORTS,
  temporalNamespaceEnv,
  temporalSchemaEnv,
  temporalServerEnv,
  temporalUiEnv,
} from './config';
import { Balancer } from './haproxy';
import { orderlyCommand, prepareOrderly } from './orderly';
import { Prometheus } from './prometheus';
import { databaseUrl, preparePostgres, type PostgresTarget } from './postgres';
import { httpOk, ManagedProcess, waitFor } from './process';
import { provisionTools, root, type Tools } from './tools';
import { clusterPayloadKeys } from './payload-keys';

export interface ClusterOptions {
  /** The load balancer's port (PORT). */
  port: number;
  /** The Temporal frontend's gRPC port (TEMPORAL_PORT). */
  temporalPort: number;
  /** The Web UI's port (TEMPORAL_UI_PORT). */
  uiPort: number;
  /** Mailpit's inbox (web UI and API) and SMTP ports. */
  mailpitPort: number;
  smtpPort: number;
  /** Prometheus's web UI and API (PROMETHEUS_PORT); a free port when absent. */
  prometheusPort?: number;
  apiReplicas: number;
  workerReplicas: number;
  /** A PostgreSQL server to use instead of the machine's; its user must be able to create databases. */
  databaseUrl?: string;
  /** Database names on the machine's PostgreSQL (ignored for Orderly's database when databaseUrl is set). */
  database?: string;
  /** Temporal's databases are <prefix> and <prefix>_visibility. */
  temporalDatabasePrefix?: string;
  namespace: string;
  taskQueue: string;
  /** Logs, Mailpit's store, HAProxy's runtime socket. */
  dataDir: string;
  jwtSecret: string;
  webhookSecret: string;
  /** Extra environment for the API and worker replicas (e.g. PAYMENT_CONFIRMATION_TIMEOUT). */
  orderlyEnv?: Record<string, string>;
  log?: (msg: string) => void;
  tools?: Tools;
  /** Aborting stops the start-up between phases; what was already started is stopped again. */
  signal?: AbortSignal;
}

/** An API replica: its own port on loopback, registered with HAProxy as `name`. */
export interface ApiReplica {
  name: string;
  port: number;
  url: string;
  proc: ManagedProcess;
  /** Starts it and puts it into the balancer once its health check passes. */
  start(): Promise<void>;
  /** Graceful: the balancer drains it (no new requests, in-flight ones finish), then SIGTERM. */
  stop(): Promise<void>;
  /** SIGKILL without draining, as a crash; the balancer notices through its health checks. */
  kill(): Promise<void>;
}

export interface Cluster {
  options: ClusterOptions;
  pg: PostgresTarget;
  /** Everything a client needs. */
  urls: {
    api: string;
    temporal: string;
    ui: string;
    mailpit: string;
    smtp: string;
    database: string;
    prometheus: string;
  };
  /** The environment every API and worker replica gets. */
  orderlyEnv: NodeJS.ProcessEnv;
  temporal: ManagedProcess;
  ui: ManagedProcess;
  mailpit: ManagedProcess;
  /** Scrapes every API and worker replica (and each worker's SDK metrics) and the Temporal server. */
  prometheus: Prometheus;
  balancer: Balancer;
  apis: ApiReplica[];
  workers: ManagedProcess[];
  /** Starts one more API replica (or worker) and returns it. */
  addApi(): Promise<ApiReplica>;
  addWorker(): Promise<ManagedProcess>;
  /** Waits until a worker with this pid polls the task queue. */
  waitForWorkerPolling(worker: ManagedProcess, timeoutMs?: number): Promise<void>;
  /** Stops everything, newest first: API replicas (drained), balancer, workers (drained), UI, Temporal, Mailpit. */
  stop(): Promise<void>;
}

export class ClusterStartError extends Error {}

/** The environment variable that marks a cluster's processes with its data directory. */
export const CLUSTER_MARK = 'ORDERLY_CLUSTER_DATA_DIR';

/** Pids of live processes marked as belonging to the cluster in `dataDir` (Linux: read from /proc). */
export function clusterProcesses(dataDir: string): number[] {
  const mark = `\0${CLUSTER_MARK}=${dataDir}\0`;
  const found: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (`\0${fs.readFileSync(`/proc/${entry}/environ`, 'latin1')}\0`.includes(mark)) found.push(Number(entry));
    } catch {
      /* exited, or not ours to read */
    }
  }
  return found;
}

/** SIGKILLs every process marked with `dataDir`; returns their pids. */
export function reapLeftovers(dataDir: string): number[] {
  const pids = clusterProcesses(dataDir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

async function ensurePortsFree(ports: { port: number; variable: string; what: string }[]): Promise<void> {
  for (const { port, variable, what } of ports) {
    if (await portInUse(port)) {
      throw new ClusterStartError(
        `port ${port} (${what}) is already in use: stop whatever listens there or set ${variable} to a free port`,
      );
    }
  }
}

/** Runs a shared deploy/ script to completion, its output into the log file. */
function runScript(script: string, env: NodeJS.ProcessEnv, logFile: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(logFile, 'a');
    const child = spawn('sh', [script], { env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new ClusterStartError(`${script} failed (${signal ?? `exit ${code}`}); see ${logFile}`));
    });
  });
}

/**
 * Free loopback ports below 32768: the server records its membership ports in a PostgreSQL smallint column, so the
 * kernel's ephemeral ports (32768 and up) do not fit.
 */
async function lowFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < count && attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.has(port) && (await portBindable(port))) ports.add(port);
  }
  if (ports.size < count) throw new ClusterStartError('no free ports between 20000 and 32000 for the Temporal server');
  return [...ports];
}

function portBindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Resolves once the Temporal frontend at `address` answers; throws while it does not. */
export async function temporalAnswers(address: string): Promise<void> {
  const conn = await Connection.connect({ address, connectTimeout: 1_000, interceptors: [] });
  try {
    await conn.workflowService.getSystemInfo({});
  } finally {
    await conn.close();
  }
}

/** Starts the whole topology and returns handles to every part; on failure stops what it started and throws. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? ((m: string) => console.error(`[cluster] ${m}`));
  const tools = options.tools ?? provisionTools(log);
  const logs = path.join(options.dataDir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  // Every process started below carries this mark, so one left by a runner that was itself killed (SIGKILL: no
  // chance to stop its children) is found and stopped by the next start with the same data directory.
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, [CLUSTER_MARK]: path.resolve(options.dataDir) };
  const reaped = reapLeftovers(path.resolve(options.dataDir));
  if (reaped.length) log(`stopped ${reaped.length} process(es) an earlier run left behind: ${reaped.join(', ')}`);
  const logFile = (name: string) => path.join(logs, `${name}.log`);
  const phase = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    if (options.signal?.aborted) throw new ClusterStartError('stopped during start-up');
    const started = Date.now();
    const result = await run();
    log(`${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  };

  await ensurePortsFree([
    { port: options.port, variable: 'PORT', what: 'load balancer' },
    { port: options.temporalPort, variable: 'TEMPORAL_PORT', what: 'Temporal frontend' },
    { port: options.uiPort, variable: 'TEMPORAL_UI_PORT', what: 'Temporal Web UI' },
    { port: options.mailpitPort, variable: 'MAILPIT_PORT', what: 'Mailpit inbox' },
    { port: options.smtpPort, variable: 'MAILPIT_SMTP_PORT', what: 'Mailpit SMTP' },
    ...(options.prometheusPort === undefined
      ? []
      : [{ port: options.prometheusPort, variable: 'PROMETHEUS_PORT', what: 'Prometheus' }]),
  ]);

  const pg = await phase('PostgreSQL ready', () =>
    preparePostgres({
      url: options.databaseUrl,
      database: options.database,
      temporalPrefix: options.temporalDatabasePrefix,
    }),
  );
  const temporalAddress = `127.0.0.1:${options.temporalPort}`;

  await phase('Temporal schema created or upgraded (temporal-sql-tool)', () =>
    runScript(
      deployPath('temporalSchema'),
      { ...baseEnv, ...temporalSchemaEnv(pg, tools.temporalSqlTool) },
      logFile('temporal-schema'),
      300_000,
    ),
  );

  const stoppable: { name: string; stop: () => Promise<void> }[] = [];
  const stopAll = async () => {
    for (const part of stoppable.splice(0).reverse()) {
      try {
        await part.stop();
      } catch (err) {
        log(`${part.name} did not stop cleanly: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };

  try {
    const internal = await lowFreePorts(TEMPORAL_INTERNAL_PORTS);
    const temporalMetricsPort = await freePort();
    const temporal = new ManagedProcess({
      name: 'temporal',
      command: tools.temporalServer,
      args: ['start'],
      env: {
        ...baseEnv,
        ...temporalServerEnv(pg, { frontend: options.temporalPort, internal, metrics: temporalMetricsPort }),
      },
      logFile: logFile('temporal'),
      stopTimeoutMs: 30_000,
      ready: (proc) =>
        waitFor('the Temporal frontend answers', () => temporalAnswers(temporalAddress), { timeoutMs: 120_000, proc }),
    });
    stoppable.push({ name: 'temporal', stop: () => temporal.stop() });
    await phase(`Temporal server ${tools.temporalServer} on ${temporalAddress}`, () => temporal.start());
    await phase(`namespace ${options.namespace} registered`, () =>
      runScript(
        deployPath('temporalNamespace'),
        { ...baseEnv, ...temporalNamespaceEnv(temporalAddress, options.namespace, tools.temporalCli) },
        logFile('temporal-namespace'),
        120_000,
      ),
    );

    const uiUrl = `http://localhost:${options.uiPort}`;
    const ui = new ManagedProcess({
      name: 'temporal-ui',
      command: tools.uiServer,
      // ui-server reads <config>/<env>.yaml: deploy/temporal-ui/docker.yaml, the file compose mounts.
      args: ['--root', '/', '--config', path.dirname(deployPath('temporalUi')), '--env', 'docker', 'start'],
      env: {
        ...baseEnv,
        ...temporalUiEnv(temporalAddress, options.uiPort, options.namespace, `http://localhost:${options.port}/codec`),
      },
      logFile: logFile('temporal-ui'),
      ready: (proc) =>
        waitFor('the Web UI answers', () => httpOk(`http://127.0.0.1:${options.uiPort}/api/v1/settings`), {
          timeoutMs: 30_000,
          proc,
        }),
    });
    stoppable.push({ name: 'temporal-ui', stop: () => ui.stop() });

    const mailpitUrl = `http://127.0.0.1:${options.mailpitPort}`;
    const mailpit = new ManagedProcess({
      name: 'mailpit',
      command: tools.mailpit,
      args: [],
      env: {
        ...baseEnv,
        ...mailpitEnv(options.mailpitPort, options.smtpPort, path.join(options.dataDir, 'mailpit.db')),
      },
      logFile: logFile('mailpit'),
      ready: (proc) => waitFor('Mailpit answers', () => httpOk(`${mailpitUrl}/readyz`), { timeoutMs: 30_000, proc }),
    });
    stoppable.push({ name: 'mailpit', stop: () => mailpit.stop() });
    const prometheus = new Prometheus({
      tools: tools.prometheus,
      port: options.prometheusPort ?? (await freePort()),
      dir: path.join(options.dataDir, 'prometheus'),
      logFile: logFile('prometheus'),
      env: baseEnv,
    });
    prometheus.addTarget('temporal-server', { address: `127.0.0.1:${temporalMetricsPort}`, replica: 'temporal' });
    stoppable.push({ name: 'prometheus', stop: () => prometheus.proc.stop() });
    await phase('Web UI server, Mailpit and Prometheus', () =>
      Promise.all([ui.start(), mailpit.start(), prometheus.proc.start()]),
    );

    const orderlyDatabaseUrl = databaseUrl(pg);
    await phase('Orderly database migrated, demo catalog present', async () => {
      const handle = await createDb({ url: orderlyDatabaseUrl, max: 1 });
      try {
        await runMigrations(handle);
        await seedCatalog(handle.db);
      } finally {
        await handle.close();
      }
    });
    await phase('production build (dist/) on the Node LTS', () => prepareOrderly());

    const apiUrl = `http://localhost:${options.port}`;
    const orderlyEnv: NodeJS.ProcessEnv = {
      ...baseEnv,
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: apiUrl,
      DATABASE_URL: orderlyDatabaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: options.namespace,
      TASK_QUEUE: options.taskQueue,
      SMTP_URL: `smtp://127.0.0.1:${options.smtpPort}`,
      AUTH_JWT_SECRET: options.jwtSecret,
      PAYMENT_WEBHOOK_SECRET: options.webhookSecret,
      ...clusterPayloadKeys(options.dataDir),
      // The Web UI calls the codec server from the browser (docs/security.md).
      CODEC_CORS_ORIGINS: process.env.CODEC_CORS_ORIGINS || uiUrl,
      ...options.orderlyEnv,
    };

    const workers: ManagedProcess[] = [];
    let workerCount = 0;
    const pollingConnection = await Connection.connect({ address: temporalAddress });
    stoppable.push({ name: 'temporal client', stop: () => pollingConnection.close() });
    const waitForWorkerPolling = (worker: ManagedProcess, timeoutMs = 120_000) =>
      waitFor(
        `${worker.name} polls task queue ${options.taskQueue}`,
        async () => {
          const res = await pollingConnection.workflowService.describeTaskQueue({
            namespace: options.namespace,
            taskQueue: { name: options.taskQueue, kind: 1 },
            taskQueueType: 1,
          });
          const pid = worker.pid;
          if (!res.pollers?.some((p) => pid !== undefined && p.identity?.startsWith(`${pid}@`)))
            throw new Error('not polling yet');
        },
        { timeoutMs, intervalMs: 500, proc: worker },
      );
    const addWorker = async () => {
      workerCount += 1;
      const name = `worker-${workerCount}`;
      const { command, args } = orderlyCommand('worker');
      // Its own two metrics ports, kept across restarts (the same env), and scraped from the start.
      const [metricsPort, sdkMetricsPort] = [await freePort(), await freePort()];
      prometheus.addTarget('orderly-worker', { address: `127.0.0.1:${metricsPort}`, replica: name });
      prometheus.addTarget('temporal-sdk', { address: `127.0.0.1:${sdkMetricsPort}`, replica: name });
      const worker: ManagedProcess = new ManagedProcess({
        name,
        command,
        args,
        cwd: root,
        env: {
          ...orderlyEnv,
          WORKER_METRICS_PORT: String(metricsPort),
          WORKER_SDK_METRICS_PORT: String(sdkMetricsPort),
        },
        logFile: logFile(`worker-${workerCount}`),
        // The worker drains in-flight activities for up to its shutdownGraceTime (10 s) before it exits.
        stopTimeoutMs: 30_000,
        ready: (proc) => waitForWorkerPolling(proc),
      });
      workers.push(worker);
      await worker.start();
      return worker;
    };
    stoppable.push({
      name: 'workers',
      stop: async () => void (await Promise.all(workers.map((w) => w.stop()))),
    });
    await phase(`${options.workerReplicas} worker(s) polling`, () =>
      Promise.all(Array.from({ length: options.workerReplicas }, () => addWorker())),
    );

    const balancer = new Balancer({
      haproxy: tools.haproxy,
      port: options.port,
      env: baseEnv,
      socket: path.join(options.dataDir, 'haproxy.sock'),
      logFile: logFile('haproxy'),
    });
    stoppable.push({ name: 'haproxy', stop: () => balancer.proc.stop('SIGUSR1') });
    await phase(`HAProxy on ${apiUrl}`, () => balancer.proc.start());

    const apis: ApiReplica[] = [];
    let apiCount = 0;
    const addApi = async () => {
      apiCount += 1;
      const name = `api-${apiCount}`;
      const port = await freePort();
      prometheus.addTarget('orderly-api', { address: `127.0.0.1:${port}`, replica: name });
      const { command, args } = orderlyCommand('api');
      const proc = new ManagedProcess({
        name,
        command,
        args,
        cwd: root,
        env: { ...orderlyEnv, PORT: String(port) },
        logFile: logFile(name),
        stopTimeoutMs: 20_000,
        ready: (p) =>
          waitFor(`${name} answers /health`, () => httpOk(`http://127.0.0.1:${port}/health`), {
            timeoutMs: 120_000,
            proc: p,
          }),
      });
      let registered = false;
      const replica: ApiReplica = {
        name,
        port,
        url: `http://127.0.0.1:${port}`,
        proc,
        start: async () => {
          await proc.start();
          if (!registered) {
            await balancer.addServer(name, `127.0.0.1:${port}`);
            registered = true;
          } else {
            await balancer.ready(name);
          }
          await balancer.waitForStatus(name, 'UP');
        },
        stop: async () => {
          if (registered && balancer.proc.running) {
            await balancer.drain(name);
            await balancer.waitIdle(name).catch((err: unknown) => log(String(err)));
          }
          await proc.stop();
        },
        kill: () => proc.kill(),
      };
      apis.push(replica);
      await replica.start();
      return replica;
    };
    stoppable.push({
      name: 'api replicas',
      stop: async () => void (await Promise.all(apis.map((a) => a.stop()))),
    });
    await phase(`${options.apiReplicas} API replica(s) up behind HAProxy`, () =>
      Promise.all(Array.from({ length: options.apiReplicas }, () => addApi())),
    );

    if (options.signal?.aborted) throw new ClusterStartError('stopped during start-up');
    return {
      options,
      pg,
      urls: {
        api: apiUrl,
        temporal: temporalAddress,
        ui: uiUrl,
        mailpit: `http://localhost:${options.mailpitPort}`,
        smtp: `smtp://127.0.0.1:${options.smtpPort}`,
        database: orderlyDatabaseUrl,
        prometheus: prometheus.url,
      },
      orderlyEnv,
      temporal,
      ui,
      mailpit,
      prometheus,
      balancer,
      apis,
      workers,
      addApi,
      addWorker,
      waitForWorkerPolling,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
