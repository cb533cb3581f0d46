/**
 * The worker process: one NativeConnection, Orderly's workflows and activities on the task queue, drained on
 * SIGINT/SIGTERM. `startWorker` is also what `make start` runs in-process.
 */
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import { createDb, type Db } from '../db/client';
import { runMigrations } from '../db/migrate';
import type { Config } from '../lib/config';
import {
  loadConfigOrExit,
  onShutdownSignal,
  requireDatabaseUrl,
  requireSmtpInProduction,
  temporalAddress,
} from '../lib/entry';
import { createLogger, logFormatFor, type Logger } from '../lib/logger';
import { serveMetrics, type MetricsServer } from '../lib/metrics';
import { startTracingFromConfig, type Tracing } from '../lib/tracing';
import { createActivityDeps } from './deps';
import { ensureHousekeepingScheduleOn } from './schedule';
import { registerOverdueGauge, workerRegistry } from './metrics';
import { createWorker, defaultWorkflowBundle, versioningOptions } from './worker';
import { startWebhookWaker, type WebhookWaker } from './webhooks';
import type { Listen } from '../db/listen';
import { Client } from '@temporalio/client';
import { encryptingDataConverter } from '../lib/payload-codec';

/** Routes the Temporal SDK's own log lines (worker state, workflow and activity `log`) into pino. */
export function temporalLoggerFor(log: Logger): TemporalLogger {
  const to = (level: LogLevel) =>
    level === 'TRACE'
      ? 'trace'
      : level === 'DEBUG'
        ? 'debug'
        : level === 'INFO'
          ? 'info'
          : level === 'WARN'
            ? 'warn'
            : 'error';
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => log[to(level)]({ ...meta }, message);
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

/**
 * Installs the SDK runtime once, logging through pino; signals are ours to handle (we drain, then close). With
 * WORKER_SDK_METRICS_PORT its Prometheus exporter serves the SDK's own metrics there, named the Prometheus way
 * (seconds, `_total`, unit suffixes).
 */
export function installTemporalRuntime(log: Logger, config?: Pick<Config, 'host' | 'metrics'>): void {
  const sdkPort = config?.metrics.sdkPort;
  Runtime.install({
    logger: temporalLoggerFor(log.child({ component: 'temporal-sdk' })),
    shutdownSignals: [],
    ...(sdkPort !== undefined && {
      telemetryOptions: {
        metrics: {
          prometheus: {
            bindAddress: `${config!.host}:${sdkPort}`,
            countersTotalSuffix: true,
            unitSuffix: true,
            useSecondsForDurations: true,
          },
        },
      },
    }),
  });
  if (sdkPort !== undefined) log.info({ address: `${config!.host}:${sdkPort}` }, 'Temporal SDK metrics served');
}

/** Asks the worker to stop polling and drain; a no-op unless it is running. */
export function requestShutdown(worker: Worker | undefined): void {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
}

export interface RunningWorker {
  worker: Worker;
  /** The business metrics server (WORKER_METRICS_PORT), when configured. */
  metrics?: MetricsServer;
  /** Settles when the worker has stopped (after a shutdown, or on a fatal error). */
  done: Promise<void>;
  /**
   * The worker's connection, closed by stop(). A Client built on it in the same process can start checkouts eagerly
   * (api/routes/checkout.ts canStartEagerly).
   */
  connection: NativeConnection;
  /** Stops polling, waits for in-flight tasks (up to the grace time), closes the connection and mail transports. */
  stop(): Promise<void>;
}

export async function startWorker(opts: {
  config: Config;
  db: Db;
  log: Logger;
  workflowBundlePath?: string;
  /** The process's tracing (startTracingFromConfig); activity and workflow spans are made only with it. */
  tracing?: Tracing;
  /** The database's LISTEN: with it, written order events wake the webhook dispatchers (else they poll). */
  listen?: Listen;
}): Promise<RunningWorker> {
  const { config, log } = opts;
  const address = temporalAddress(config);
  const connection = await NativeConnection.connect({ address });
  const built = await createActivityDeps({ config, db: opts.db, log });
  let worker: Worker;
  let metrics: MetricsServer | undefined;
  let webhooks: WebhookWaker | undefined;
  try {
    if (config.metrics.workerPort !== undefined) {
      registerOverdueGauge(opts.db, config.payment.confirmationTimeout);
      metrics = await serveMetrics(workerRegistry, { host: config.host, port: config.metrics.workerPort });
      log.info({ url: metrics.url }, 'worker metrics served');
    }
    // The compiled worker runs the prebuilt bundle (`make build`) or WORKFLOW_BUNDLE_PATH's; development bundles from
    // source.
    const bundle = opts.workflowBundlePath ?? config.deployment.workflowBundlePath ?? defaultWorkflowBundle();
    worker = await createWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      deps: built.deps,
      workflowBundlePath: bundle,
      tuning: config.worker,
      extra: versioningOptions(config.deployment),
      tracing: opts.tracing,
    });
    log.info(
      {
        address,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        bundle: bundle ?? 'from source',
        tracing: opts.tracing ? 'on' : 'off',
        tuning: config.worker,
        ...(config.deployment.buildId
          ? { deployment: config.deployment.name, buildId: config.deployment.buildId }
          : { versioning: 'off' }),
      },
      'worker polling',
    );
    await ensureHousekeepingScheduleOn(connection, config, log);
    // Outgoing webhooks: every enabled subscription's dispatcher runs, and new order events wake them.
    webhooks = startWebhookWaker({
      db: opts.db,
      listen: opts.listen,
      client: new Client({
        connection,
        namespace: config.temporal.namespace,
        dataConverter: encryptingDataConverter(config.payloadKeys),
      }),
      taskQueue: config.temporal.taskQueue,
      log,
    });
  } catch (err) {
    await webhooks?.close();
    await metrics?.close();
    await built.close();
    await connection.close();
    throw err;
  }
  const done = worker.run();
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      try {
        requestShutdown(worker);
        await done.catch((err: unknown) => log.error({ err }, 'worker stopped with an error'));
      } finally {
        await webhooks?.close();
        await metrics?.close();
        await built.close();
        await connection.close();
      }
    })());
  return { worker, metrics, done, stop, connection };
}

async function main(): Promise<void> {
  const config = loadConfigOrExit('worker');
  const databaseUrl = requireDatabaseUrl(config, 'worker');
  requireSmtpInProduction(config, 'worker');
  const log = createLogger(config.logLevel, 'worker', { format: logFormatFor(config) });
  const tracing = startTracingFromConfig(config, 'orderly-worker');
  installTemporalRuntime(log, config);
  const handle = await createDb({ url: databaseUrl });
  let running: RunningWorker | undefined;
  let stopRequested = false;
  const removeSignals = onShutdownSignal((signal) => {
    log.info({ signal }, 'shutting down: draining in-flight tasks');
    stopRequested = true;
    requestShutdown(running?.worker);
  });
  try {
    await runMigrations(handle);
    log.info({ db: handle.location }, 'database ready');
    if (stopRequested) return;
    running = await startWorker({ config, db: handle.db, log, tracing, listen: handle.listen });
    if (stopRequested) requestShutdown(running.worker);
    await running.done;
  } finally {
    await running?.stop();
    await handle.close();
    await tracing?.shutdown();
    removeSignals();
    log.info('worker stopped');
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('worker failed:', err);
    process.exit(1);
  });
}
