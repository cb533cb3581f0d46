/** What every entry point (api, worker, make start) does the same way: config errors, signals, addresses. */
import { ConfigError, loadConfig, type Config } from './config';

/** Loads config or prints each bad variable on stderr and exits 1: a process with bad config never starts. */
export function loadConfigOrExit(processName: string, source: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${processName}: invalid configuration, not starting:`);
    for (const p of err.problems) console.error(`  ${p.name}: ${p.message}`);
    process.exit(1);
  }
}

/**
 * The separate api and worker processes must share one database server: an embedded PGlite lives inside a single
 * process, so two processes would each see their own private copy.
 */
export function requireDatabaseUrl(config: Config, processName: string): string {
  if (config.databaseUrl) return config.databaseUrl;
  console.error(
    `${processName}: DATABASE_URL is not set. The api and worker run as separate processes and must share a ` +
      'PostgreSQL server (embedded PGlite cannot be shared between processes). Set DATABASE_URL=postgres://..., ' +
      'or run both in one process with `make start`, which uses the embedded database.',
  );
  process.exit(1);
}

/**
 * A production worker must deliver its emails: without SMTP_URL it would render them, deliver none and still record
 * them as sent. Outside production a missing SMTP_URL only warns (tests and make start bring their own server).
 */
export function requireSmtpInProduction(config: Config, processName: string): void {
  if (config.env !== 'production' || config.smtp.url) return;
  console.error(
    `${processName}: SMTP_URL is not set. In production the worker must send order emails to a real SMTP server ` +
      '(e.g. SMTP_URL=smtp://mailpit:1025 in docker compose).',
  );
  process.exit(1);
}

/** Where the Temporal frontend is: TEMPORAL_ADDRESS, or the local dev server `make start` runs on TEMPORAL_PORT. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
}

/** A repeat this soon after the first signal is the same Ctrl-C arriving twice (tsx relays it to its child too). */
const REPEAT_GRACE_MS = 1_500;

/**
 * Runs `stop` once on the first SIGINT or SIGTERM; a later second signal exits at once (the user insists).
 * Returns a function that removes the handlers.
 */
export function onShutdownSignal(stop: (signal: NodeJS.Signals) => void): () => void {
  let firstAt: number | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (firstAt !== undefined) {
      if (Date.now() - firstAt < REPEAT_GRACE_MS) return;
      console.error(`received ${signal} again, exiting without waiting`);
      process.exit(130);
    }
    firstAt = Date.now();
    stop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
