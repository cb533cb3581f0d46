/**
 * Where the tests' own logs go: a file per test file under $ORDERLY_TEST_LOGS (global setup makes it), never the
 * terminal. The failures tests cause on purpose (declines, outages, stopped workers) log warnings with stacks; the
 * run stays a short summary, and a real failure's diagnostics are in the file the summary names.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';

const ROOT = path.resolve(__dirname, '..', '..');

/** The log file of the test file now running, e.g. `<logs>/checkout-concurrency.log`. */
export function testLogFile(): string {
  const dir = process.env.ORDERLY_TEST_LOGS ?? path.join(os.tmpdir(), 'orderly-test-logs');
  fs.mkdirSync(dir, { recursive: true });
  const testPath = expect.getState().testPath ?? 'outside-a-test';
  const name = path
    .relative(path.join(ROOT, 'test'), testPath)
    .replace(/\.test\.ts$/, '')
    .replace(/[\\/]/g, '-');
  return path.join(dir, `${name}.log`);
}

/** JSON that keeps what an Error holds (JSON.stringify alone writes `{}` for one) and copes with bigint. */
function serialize(meta: unknown): string {
  return JSON.stringify(meta, (_key, v: unknown) =>
    v instanceof Error
      ? { ...v, name: v.name, message: v.message, stack: v.stack }
      : typeof v === 'bigint'
        ? v.toString()
        : v,
  );
}

let installed = false;

/**
 * Installs the Temporal SDK runtime for this test file with every log line (the SDK's, workflow and activity `log`,
 * and Core's own, forwarded) written to the test file's log, INFO and up. Jest gives each test file its own module
 * registry, so each file installs its own once; later calls are no-ops.
 */
export function installTestRuntime(): void {
  if (installed) return;
  installed = true;
  const fd = fs.openSync(testLogFile(), 'a');
  const write = (entry: LogEntry) => {
    const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
    const meta = entry.meta && Object.keys(entry.meta).length ? ` ${serialize(entry.meta)}` : '';
    fs.writeSync(fd, `${at} temporal ${entry.level} ${entry.message}${meta}\n`);
  };
  try {
    Runtime.install({
      logger: new DefaultLogger('INFO', write),
      telemetryOptions: { logging: { filter: { core: 'INFO', other: 'WARN' }, forward: {} } },
    });
  } catch {
    // A runtime is installed already in this module registry (e.g. by a worker started before): nothing to change.
  }
}

/** pino for the app and activities under test, into the test file's log (TEST_LOG_LEVEL, default info). */
export function testLogger(level = process.env.TEST_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'test', level }, pino.destination({ dest: testLogFile(), append: true, sync: true }));
}
