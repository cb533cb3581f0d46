/** Starts `temporal server start-dev` as a child process and waits until its frontend answers. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ORDER_SEARCH_ATTRIBUTES, searchAttributeRegistrations } from '../contract';

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  cli: string;
  port: number;
  /** Web UI port; omit for a headless server. */
  uiPort?: number;
  /** SQLite file for state that survives restarts; omit for in-memory. */
  dbFilename?: string;
  namespace?: string;
  logFile?: NodeJS.WritableStream;
  readyTimeoutMs?: number;
  /** Port for the server's Prometheus `/metrics` endpoint; omit for a random one. */
  metricsPort?: number;
  /**
   * Own process group: a Ctrl-C in the terminal then reaches only the parent, which stops the server last, after
   * the worker has drained (the parent must call stop(); `make start` also kills it on exit).
   */
  detached?: boolean;
  /** The codec server the Web UI decodes payloads through (`--ui-codec-endpoint`); omit for none. */
  uiCodecEndpoint?: string;
}

/** A free TCP port on loopback, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something already listens on host:port. */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/**
 * `--search-attribute Name=Type` for each of the checkout's search attributes: the dev server registers them when it
 * creates its database, and a checkout cannot start or upsert them on a server without them. An existing
 * --db-filename made before an attribute existed does not get it from the flag: ensureSearchAttributes adds it.
 */
export function searchAttributeFlags(): string[] {
  return searchAttributeRegistrations().flatMap((pair) => ['--search-attribute', pair]);
}

async function waitUntilServing(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited early with code ${child.exitCode}`);
    try {
      // No retry interceptor: this loop is the retry, and a retry timer left behind would fire on a closed channel.
      const conn = await Connection.connect({ address, connectTimeout: 1_000, interceptors: [] });
      try {
        await conn.workflowService.getSystemInfo({});
        return;
      } finally {
        await conn.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`temporal dev server at ${address} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

const INDEXED_VALUE_TYPES = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
} as const;

/** Registers whichever of the checkout's search attributes the namespace lacks (a dev database from an older run). */
async function ensureSearchAttributes(address: string, namespace: string): Promise<void> {
  const conn = await Connection.connect({ address, interceptors: [] });
  try {
    const { customAttributes } = await conn.operatorService.listSearchAttributes({ namespace });
    const missing = ORDER_SEARCH_ATTRIBUTES.filter((key) => !(key.name in (customAttributes ?? {})));
    if (missing.length === 0) return;
    await conn.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPES[key.type]])),
    });
  } finally {
    await conn.close();
  }
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn'];
  if (opts.uiPort === undefined) args.push('--headless');
  // No internet here: the UI's newsfeed would only fail to load.
  else args.push('--ui-port', String(opts.uiPort), '--ui-disable-news-fetch');
  if (opts.uiPort !== undefined && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  if (opts.dbFilename) args.push('--db-filename', opts.dbFilename);
  if (opts.namespace && opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  if (opts.metricsPort !== undefined) args.push('--metrics-port', String(opts.metricsPort));
  args.push(...searchAttributeFlags());
  const child = spawn(opts.cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached ?? false });
  if (opts.logFile) {
    child.stdout?.pipe(opts.logFile, { end: false });
    child.stderr?.pipe(opts.logFile, { end: false });
  } else {
    child.stdout?.resume();
    child.stderr?.resume();
  }
  const address = `127.0.0.1:${opts.port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntilServing(address, child, opts.readyTimeoutMs ?? 60_000);
    await ensureSearchAttributes(address, opts.namespace ?? 'default');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address,
    uiUrl: opts.uiPort === undefined ? undefined : `http://localhost:${opts.uiPort}`,
    child,
    stop,
  };
}
