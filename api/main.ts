/**
 * The API process: Hono on @hono/node-server with one Temporal client; on SIGINT/SIGTERM it stops accepting,
 * lets in-flight requests finish (aborting the Temporal calls of those still waiting after the drain timeout),
 * then closes the client and the database. `serveApi` is shared with `make start`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { createDb } from '../db/client';
import { runMigrations } from '../db/migrate';
import { loadConfigOrExit, onShutdownSignal, requireDatabaseUrl, temporalAddress } from '../lib/entry';
import { createLogger, logFormatFor, type Logger } from '../lib/logger';
import { encryptingDataConverter } from '../lib/payload-codec';
import { startTracingFromConfig, tracingClientInterceptors } from '../lib/tracing';
import { createApp, type App } from './app';
import { answerParserErrors } from './http-hygiene';

/** In-flight requests get this long to finish on shutdown before their connections are cut. */
const DRAIN_TIMEOUT_MS = 10_000;
/** After their Temporal calls are aborted, requests get this long to answer (503) before their sockets are cut. */
const ABORT_GRACE_MS = 2_000;

export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    variable = 'PORT',
  ) {
    super(`port ${port} on ${host} is already in use: stop whatever listens there or set ${variable} to a free port`);
    this.name = 'PortInUseError';
  }
}

export interface ApiServer {
  /** The bound port (useful when PORT=0). */
  port: number;
  url: string;
  /** Stops accepting, waits for in-flight requests (bounded), then closes idle and remaining connections. */
  close(): Promise<void>;
}

export async function serveApi(app: App, opts: { host: string; port: number; log: Logger }): Promise<ApiServer> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  answerParserErrors(server);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(opts.host, opts.port) : err);
    };
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host === '0.0.0.0' ? 'localhost' : opts.host}:${port}`;
  opts.log.info({ url }, 'api listening');
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets with no request in flight would otherwise hold close() open.
      server.closeIdleConnections();
      if (!(await app.inFlight.settled(DRAIN_TIMEOUT_MS))) {
        opts.log.warn(
          { requests: app.inFlight.size },
          'requests still running after the drain timeout; aborting their Temporal calls',
        );
        app.inFlight.abort();
        if (!(await app.inFlight.settled(ABORT_GRACE_MS)))
          opts.log.warn({ requests: app.inFlight.size }, 'requests still running after the abort');
      }
      // Answers still being written (a 503 above says connection: close) get a moment before sockets are cut.
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, ABORT_GRACE_MS)))]);
      clearTimeout(timer);
      server.closeAllConnections();
      await closed;
    })());
  return { port, url, close };
}

async function main(): Promise<void> {
  const config = loadConfigOrExit('api');
  const databaseUrl = requireDatabaseUrl(config, 'api');
  const log = createLogger(config.logLevel, 'api', { format: logFormatFor(config) });
  const tracing = startTracingFromConfig(config, 'orderly-api');
  const handle = await createDb({ url: databaseUrl });
  // Lazy: the API comes up even while Temporal is still starting; /ready says so until it answers.
  const connection = Connection.lazy({ address: temporalAddress(config) });
  const temporal = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: encryptingDataConverter(config.payloadKeys),
    interceptors: tracingClientInterceptors(tracing),
  });
  let server: ApiServer | undefined;
  let stopRequested: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const removeSignals = onShutdownSignal((signal) => {
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    stopRequested?.();
  });
  try {
    await runMigrations(handle);
    const app = createApp({
      db: handle.db,
      temporal,
      config,
      log,
      clock: () => new Date(),
      listen: handle.listen,
      tracing,
    });
    server = await serveApi(app, { host: config.host, port: config.port, log });
    await stopped;
  } catch (err) {
    if (!(err instanceof PortInUseError)) throw err;
    console.error(`api: ${err.message}`);
    process.exitCode = 1;
  } finally {
    await server?.close();
    await connection.close();
    await handle.close();
    await tracing?.shutdown();
    removeSignals();
    log.info('api stopped');
  }
}

if (require.main === module) {
  main().then(
    // Drained and closed. A Temporal call still in flight (a cancel's Update waiting on the workflow) survives the
    // closed connection (grpc-js lets it run to its deadline) and would hold the process open for a minute.
    () => process.exit(),
    (err: unknown) => {
      console.error('api failed:', err);
      process.exit(1);
    },
  );
}
