/**
 * `make start`: the whole system in one process on embedded defaults. Temporal dev server (file-backed, with its
 * Web UI) unless TEMPORAL_ADDRESS is set, PGlite unless DATABASE_URL is set, migrations, the demo catalog, the
 * worker and the API. Ctrl-C stops all of it, newest first, and leaves no process behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { mintToken } from '../api/auth';
import { createApp } from '../api/app';
import { PortInUseError, serveApi } from '../api/main';
import { createDb } from '../db/client';
import { runMigrations } from '../db/migrate';
import { DEMO_PRODUCTS, seedCatalog } from '../db/seed';
import type { Config } from '../lib/config';
import { encryptingDataConverter } from '../lib/payload-codec';
import { loadConfigOrExit, onShutdownSignal, temporalAddress } from '../lib/entry';
import { createLogger, logFormatFor, type Logger } from '../lib/logger';
import { startTracingFromConfig, tracingClientInterceptors } from '../lib/tracing';
import { startSmtpSink } from '../lib/smtp-sink';
import { buildWorkflowBundle } from './build-workflow-bundle';
import { installTemporalRuntime, requestShutdown, startWorker, type RunningWorker } from '../workers/main';
import { resolveTemporalCli, TemporalCliMissing } from './temporal-cli';
import { portInUse, startDevServer, type DevServer } from './temporal-dev-server';

/** Fixed ids for the printed demo tokens, so a restart keeps the same customer and their carts and orders. */
export const DEMO_CUSTOMER_ID = '00000000-0000-4000-8000-00000000c001';
export const DEMO_ADMIN_ID = '00000000-0000-4000-8000-00000000ad01';

/** Something `make start` started, and how to stop it. Stopped in reverse order of starting. */
interface Part {
  name: string;
  stop: () => Promise<void>;
}

class StartupError extends Error {}

async function ensurePortsFree(ports: { port: number; variable: string; what: string }[]): Promise<void> {
  for (const { port, variable, what } of ports) {
    if (await portInUse(port)) {
      throw new StartupError(
        `port ${port} (${what}) is already in use: stop whatever listens there or set ${variable} to a free port` +
          (variable.startsWith('TEMPORAL')
            ? ', or set TEMPORAL_ADDRESS=host:port to use a Temporal server that is already running'
            : ''),
      );
    }
  }
}

async function startTemporal(config: Config, log: Logger, parts: Part[]): Promise<DevServer | undefined> {
  if (config.temporal.address) {
    log.info({ address: config.temporal.address }, 'using the Temporal server at TEMPORAL_ADDRESS');
    return undefined;
  }
  await ensurePortsFree([
    { port: config.temporal.port, variable: 'TEMPORAL_PORT', what: 'Temporal frontend' },
    { port: config.temporal.uiPort, variable: 'TEMPORAL_UI_PORT', what: 'Temporal Web UI' },
  ]);
  let cli: string;
  try {
    cli = resolveTemporalCli((m) => log.info(m));
  } catch (err) {
    if (err instanceof TemporalCliMissing) throw new StartupError(err.message);
    throw err;
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  const dbFilename = path.join(config.dataDir, 'temporal.db');
  const logPath = path.join(config.dataDir, 'temporal.log');
  log.info(
    { cli, dbFilename, log: logPath },
    'starting the Temporal dev server (state kept in a file, survives restarts)',
  );
  const logFile = fs.createWriteStream(logPath, { flags: 'a' });
  const server = await startDevServer({
    cli,
    port: config.temporal.port,
    uiPort: config.temporal.uiPort,
    dbFilename,
    namespace: config.temporal.namespace,
    logFile,
    detached: true,
    // The Web UI decodes payloads through the API's codec server (docs/security.md).
    uiCodecEndpoint: `${config.publicBaseUrl}/codec`,
  }).catch((err: unknown) => {
    logFile.end();
    throw new StartupError(
      `the Temporal dev server did not start (see ${logPath}): ${err instanceof Error ? err.message : String(err)}`,
    );
  });
  // Last resort if this process dies without running its shutdown: never leave the server orphaned.
  const killOnExit = () => server.child.kill('SIGTERM');
  process.on('exit', killOnExit);
  parts.push({
    name: 'temporal dev server',
    stop: async () => {
      await server.stop();
      process.off('exit', killOnExit);
      logFile.end();
    },
  });
  return server;
}

/** With SMTP_URL unset, mail goes to the embedded sink (lib/smtp-sink.ts): one .eml file per message in DATA_DIR/outbox. */
async function startMailSink(config: Config, log: Logger, parts: Part[]): Promise<string | undefined> {
  if (config.smtp.url) return config.smtp.url;
  const dir = path.join(config.dataDir, 'outbox');
  const sink = await startSmtpSink({ port: config.smtp.sinkPort, dir, log: log.child({ part: 'smtp-sink' }) }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        throw new StartupError(
          `port ${config.smtp.sinkPort} (SMTP_SINK_PORT, the embedded mail sink) is in use; set SMTP_SINK_PORT or SMTP_URL`,
        );
      throw err;
    },
  );
  parts.push({ name: 'smtp sink', stop: () => sink.close() });
  log.info(
    { url: sink.url, dir },
    'emails go to the embedded SMTP sink: one .eml file per message (set SMTP_URL to use a real server)',
  );
  return sink.url;
}

/**
 * The dev server's Web UI cannot send Orderly's bearer token, so in development its origin may call the codec
 * server without one (docs/security.md). Anything else still needs an admin token.
 */
function devUiCodecAccess(config: Config, uiUrl: string | undefined): Config['codec'] {
  if (config.env !== 'development' || !uiUrl) return config.codec;
  const origin = new URL(uiUrl).origin;
  return { corsOrigins: [...new Set([...config.codec.corsOrigins, origin])], originWithoutToken: origin };
}

function printBanner(lines: Record<string, string>): void {
  const width = Math.max(...Object.keys(lines).map((k) => k.length));
  const body = Object.entries(lines).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  console.log(['', 'Orderly is running. Ctrl-C stops everything.', '', ...body, ''].join('\n'));
}

async function main(): Promise<void> {
  const config = loadConfigOrExit('make start');
  const log = createLogger(config.logLevel, 'orderly', { format: logFormatFor(config) });
  const tracing = startTracingFromConfig(config, 'orderly');
  installTemporalRuntime(log, config);
  const parts: Part[] = [];
  let worker: RunningWorker | undefined;
  let stopRequested = false;
  let wake: () => void = () => {};
  const stopSignal = new Promise<void>((resolve) => (wake = resolve));
  const removeSignals = onShutdownSignal((signal) => {
    log.info({ signal }, 'stopping everything');
    stopRequested = true;
    requestShutdown(worker?.worker);
    wake();
  });
  const checkpoint = () => {
    if (stopRequested) throw new StartupError('stopped during startup');
  };

  try {
    // Refuse early, before starting anything, when a port we need is taken.
    await ensurePortsFree([
      { port: config.port, variable: 'PORT', what: 'Orderly API' },
      ...(config.smtp.url
        ? []
        : [{ port: config.smtp.sinkPort, variable: 'SMTP_SINK_PORT', what: 'embedded SMTP sink' }]),
    ]);
    const temporalServer = await startTemporal(config, log, parts);
    checkpoint();

    const handle = await createDb({ url: config.databaseUrl, dataDir: path.join(config.dataDir, 'pglite') });
    parts.push({ name: 'database', stop: () => handle.close() });
    if (handle.kind === 'pglite') {
      log.info({ dataDir: handle.location }, 'using the embedded PGlite database (set DATABASE_URL to use PostgreSQL)');
    } else {
      log.info({ url: handle.location }, 'using PostgreSQL at DATABASE_URL');
    }
    await runMigrations(handle);
    const added = await seedCatalog(handle.db);
    log.info({ added, catalog: DEMO_PRODUCTS.length }, added ? 'demo catalog loaded' : 'demo catalog already present');
    checkpoint();

    const smtpUrl = await startMailSink(config, log, parts);
    const runConfig: Config = {
      ...config,
      smtp: { ...config.smtp, url: smtpUrl },
      codec: devUiCodecAccess(config, temporalServer?.uiUrl),
    };

    // Bundled from the current sources every start (quietly), so a stale dist/ bundle never runs in development.
    const workflowBundlePath = await buildWorkflowBundle(path.join(config.dataDir, 'workflow-bundle.js'));
    worker = await startWorker({
      config: runConfig,
      db: handle.db,
      log: log.child({ part: 'worker' }),
      workflowBundlePath,
      tracing,
      listen: handle.listen,
    });
    const runningWorker = worker;
    parts.push({ name: 'worker', stop: () => runningWorker.stop() });
    // A worker that dies on its own takes the whole dev process down with it, loudly.
    runningWorker.done.then(
      () => wake(),
      (err: unknown) => {
        log.error({ err }, 'the worker stopped unexpectedly');
        process.exitCode = 1;
        wake();
      },
    );
    checkpoint();

    // The API's client shares the worker's NativeConnection (closed with the worker), so that checkouts start eagerly:
    // the first workflow task comes back in the start's answer (api/routes/checkout.ts canStartEagerly).
    const temporal = new Client({
      connection: runningWorker.connection,
      namespace: config.temporal.namespace,
      dataConverter: encryptingDataConverter(config.payloadKeys),
      interceptors: tracingClientInterceptors(tracing),
    });
    const app = createApp({
      db: handle.db,
      temporal,
      config: runConfig,
      log: log.child({ part: 'api' }),
      clock: () => new Date(),
      // The in-process worker's stock changes reach the API's caches through the same channel as other processes'.
      listen: handle.listen,
      tracing,
      extraReadyChecks: [
        {
          name: 'in-process worker',
          check: async () => {
            const state = runningWorker.worker.getState();
            if (state !== 'RUNNING') throw new Error(`worker is ${state}`);
          },
        },
      ],
    });
    const api = await serveApi(app, { host: config.host, port: config.port, log: log.child({ part: 'api' }) });
    parts.push({ name: 'api', stop: () => api.close() });

    const uiUrl = temporalServer?.uiUrl;
    printBanner({
      API: api.url,
      'API docs': `${api.url}/docs`,
      OpenAPI: `${api.url}/openapi.json`,
      Ready: `${api.url}/ready`,
      'Temporal Web UI': uiUrl ?? `(Temporal at ${config.temporal.address}: open its own UI)`,
      Temporal: `${temporalAddress(config)} namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}`,
      Database: handle.kind === 'pglite' ? `PGlite in ${handle.location}` : handle.location,
      Traces: config.tracing.otlpEndpoint ?? 'off (set OTEL_EXPORTER_OTLP_ENDPOINT, docs/tracing.md)',
      Emails: config.smtp.url ? `SMTP ${config.smtp.url}` : `.eml files in ${path.join(config.dataDir, 'outbox')}`,
      'Admin token': await mintToken(config.auth.jwtSecret, { sub: DEMO_ADMIN_ID, role: 'admin' }),
      'Customer token': await mintToken(config.auth.jwtSecret, { sub: DEMO_CUSTOMER_ID, role: 'customer' }),
      'Try it': `curl ${api.url}/products`,
      'Codec server': `${config.publicBaseUrl}/codec  (the Web UI decrypts payloads here; the CLI: docs/security.md)`,
    });

    await stopSignal;
  } catch (err) {
    if (err instanceof StartupError || err instanceof PortInUseError) {
      if (!stopRequested) {
        console.error(`make start: ${err.message}`);
        process.exitCode = 1;
      }
    } else {
      throw err;
    }
  } finally {
    for (const part of parts.reverse()) {
      try {
        await part.stop();
        log.info(`${part.name} stopped`);
      } catch (err) {
        log.error({ err }, `${part.name} did not stop cleanly`);
        process.exitCode = 1;
      }
    }
    await tracing?.shutdown();
    removeSignals();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('make start failed:', err);
    process.exit(1);
  });
}
