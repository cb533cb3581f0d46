/**
 * PostgreSQL for the cluster: the machine's own server, started and given the `orderly` role as `.ci/run` does, or
 * the server at DATABASE_URL. Holds Orderly's database and Temporal's persistence and visibility databases.
 */
import { spawnSync } from 'node:child_process';
import postgres from 'postgres';
import { waitFor } from './process';

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Orderly's database. */
  database: string;
  /** Temporal's persistence and visibility databases (created by temporal-sql-tool). */
  temporalDatabase: string;
  visibilityDatabase: string;
  /** True when this is the machine's cluster, managed with pg_ctlcluster (chaos may restart it). */
  local: boolean;
}

/** The URL of one database on the target. */
export function databaseUrl(pg: PostgresTarget, database = pg.database): string {
  return `postgres://${encodeURIComponent(pg.user)}:${encodeURIComponent(pg.password)}@${pg.host}:${pg.port}/${database}`;
}

const LOCAL = { host: '127.0.0.1', port: 5432, user: 'orderly', password: 'orderly' };

function asRoot(args: string[]): string[] {
  return process.getuid?.() === 0 ? args : ['sudo', '-n', ...args];
}

function run(args: string[], input?: string): { ok: boolean; out: string } {
  const [cmd, ...rest] = args;
  const r = spawnSync(cmd!, rest, { input, encoding: 'utf8', timeout: 120_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

function asPostgres(sql: string): { ok: boolean; out: string } {
  const cmd = ['psql', '-v', 'ON_ERROR_STOP=1', '-q', '-h', '/var/run/postgresql'];
  return process.getuid?.() === 0
    ? run(['su', 'postgres', '-c', cmd.join(' ')], sql)
    : run(['sudo', '-n', '-u', 'postgres', ...cmd], sql);
}

function localCluster(): { version: string; name: string } | undefined {
  const r = run(['pg_lsclusters', '-h']);
  if (!r.ok || !r.out) return undefined;
  const [version, name] = r.out.split('\n')[0]!.split(/\s+/);
  return version && name ? { version, name } : undefined;
}

async function canConnect(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Starts the machine's PostgreSQL cluster (pg_ctlcluster), as `.ci/run` does; no-op when it already answers. */
export async function startLocalPostgres(): Promise<void> {
  const cluster = localCluster();
  if (!cluster) {
    throw new Error(
      'PostgreSQL is not installed: install it (Debian: apt-get install postgresql) or set DATABASE_URL to a ' +
        'PostgreSQL server whose user may create databases.',
    );
  }
  const ready = () => run(['pg_isready', '-q', '-h', LOCAL.host, '-p', String(LOCAL.port)]).ok;
  if (!ready()) {
    const r = run(asRoot(['pg_ctlcluster', cluster.version, cluster.name, 'start']));
    if (!r.ok && !ready()) throw new Error(`could not start PostgreSQL ${cluster.version}/${cluster.name}: ${r.out}`);
  }
  await waitFor(
    'PostgreSQL accepts connections',
    async () => {
      if (!ready()) throw new Error('pg_isready says no');
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

/** Restarts the machine's PostgreSQL cluster (a fault for `make chaos`: every connection drops). */
export async function restartLocalPostgres(): Promise<void> {
  const cluster = localCluster();
  if (!cluster) throw new Error('no local PostgreSQL cluster');
  const r = run(asRoot(['pg_ctlcluster', cluster.version, cluster.name, 'restart']));
  if (!r.ok) throw new Error(`pg_ctlcluster restart failed: ${r.out}`);
  await startLocalPostgres();
}

/**
 * Resolves where the cluster's databases live and makes sure the Orderly database exists. With `url`, that server;
 * without, the machine's PostgreSQL (started if needed) with the `orderly` role created if missing.
 */
export async function preparePostgres(opts: {
  url?: string;
  /** Orderly database name when the machine's PostgreSQL is used. */
  database?: string;
  /** Prefix of Temporal's two database names (default "temporal": temporal, temporal_visibility). */
  temporalPrefix?: string;
}): Promise<PostgresTarget> {
  const prefix = opts.temporalPrefix ?? 'temporal';
  let target: PostgresTarget;
  if (opts.url) {
    const u = new URL(opts.url);
    target = {
      host: u.hostname,
      port: Number(u.port || 5432),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: u.pathname.replace(/^\//, '') || 'orderly',
      temporalDatabase: prefix,
      visibilityDatabase: `${prefix}_visibility`,
      local: false,
    };
  } else {
    await startLocalPostgres();
    target = {
      ...LOCAL,
      database: opts.database ?? 'orderly',
      temporalDatabase: prefix,
      visibilityDatabase: `${prefix}_visibility`,
      local: true,
    };
    try {
      await canConnect(databaseUrl(target, 'postgres'));
    } catch {
      // The role `.ci/run` creates: may log in and create databases, nothing more.
      const r = asPostgres(
        `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${LOCAL.user}') THEN ` +
          `CREATE ROLE ${LOCAL.user} LOGIN CREATEDB PASSWORD '${LOCAL.password}'; END IF; END $$;`,
      );
      if (!r.ok) throw new Error(`could not create the PostgreSQL role ${LOCAL.user}: ${r.out}`);
    }
  }
  const problem = (err: unknown) =>
    new Error(
      `PostgreSQL at ${target.host}:${target.port} (user ${target.user}): ${err instanceof Error ? err.message : err}. ` +
        'The user needs to log in and create databases (CREATEDB).',
    );
  const exists = await canConnect(databaseUrl(target)).then(
    () => true,
    (err: { code?: string }) => {
      if (err.code === '3D000') return false; // database does not exist
      throw problem(err);
    },
  );
  if (!exists) {
    const admin = postgres(databaseUrl(target, 'postgres'), { max: 1, connect_timeout: 10, onnotice: () => {} });
    try {
      await admin.unsafe(`create database "${target.database}"`);
    } catch (err) {
      throw problem(err);
    } finally {
      await admin.end({ timeout: 2 });
    }
  }
  return target;
}

/**
 * Terminates every connection to the given databases except this one (a fault for `make chaos`); returns how many.
 * Works without superuser rights for connections of the same role.
 */
export async function terminateConnections(pg: PostgresTarget, databases: string[]): Promise<number> {
  const sql = postgres(databaseUrl(pg), { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    const rows = await sql<{ ok: boolean }[]>`
      select pg_terminate_backend(pid) as ok from pg_stat_activity
      where datname = any(${databases}) and pid <> pg_backend_pid()`;
    return rows.filter((r) => r.ok).length;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

/** Drops the named databases (test clean-up), terminating their connections first. */
export async function dropDatabases(pg: PostgresTarget, databases: string[]): Promise<void> {
  const sql = postgres(databaseUrl(pg, 'postgres'), { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    for (const db of databases) await sql.unsafe(`drop database if exists "${db}" with (force)`);
  } finally {
    await sql.end({ timeout: 2 });
  }
}
