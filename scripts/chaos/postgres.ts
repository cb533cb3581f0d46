/**
 * A private PostgreSQL instance for the chaos runs (initdb into the run directory, its own port): scenario 4 restarts
 * PostgreSQL, which must not take down a server that other work on the machine shares.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';

function binDir(): string {
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates = [
    process.env.PG_BINDIR,
    fromConfig.status === 0 ? fromConfig.stdout.trim() : undefined,
    ...(fs.existsSync('/usr/lib/postgresql')
      ? fs
          .readdirSync('/usr/lib/postgresql')
          .sort((a, b) => Number(b) - Number(a))
          .map((v) => `/usr/lib/postgresql/${v}/bin`)
      : []),
  ];
  const found = candidates.find((d) => d && fs.existsSync(path.join(d, 'initdb')));
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) were not found: install them (Debian: apt-get install postgresql) ' +
        'or set PG_BINDIR to their directory',
    );
  }
  return found;
}

export interface PrivatePostgres {
  /** postgres://orderly:orderly@127.0.0.1:<port>/orderly */
  url: string;
  /** Superuser URL for fault injection (pg_terminate_backend). */
  adminUrl: string;
  port: number;
  restart(): Promise<void>;
  /** Terminates every client connection to the given databases; returns how many. */
  terminateConnections(databases: string[]): Promise<number>;
  stop(): Promise<void>;
}

export async function startPrivatePostgres(opts: { dir: string; port: number }): Promise<PrivatePostgres> {
  const bin = binDir();
  // PostgreSQL refuses to run as root: run its tools as the postgres user, who then owns the data directory.
  const asRoot = process.getuid?.() === 0;
  const run = (tool: string, args: string[]) => {
    const cmd = path.join(bin, tool);
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  };
  const data = path.join(opts.dir, 'pgdata');
  fs.mkdirSync(data, { recursive: true });
  // The postgres user must reach its data directory inside the run directory.
  fs.chmodSync(opts.dir, 0o755);
  if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', data]);
  fs.chmodSync(data, 0o700);
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const logFile = path.join(opts.dir, 'postgres.log');
  if (asRoot) {
    fs.writeFileSync(logFile, '');
    execFileSync('chown', ['postgres:postgres', logFile]);
  }
  const serverOptions = `-p ${opts.port} -k ${data} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off`;
  const ctl = (action: string, extra: string[] = []) =>
    run('pg_ctl', ['-D', data, '-l', logFile, '-o', serverOptions, '-w', '-t', '60', ...extra, action]);
  ctl('start');
  const adminUrl = `postgres://postgres@127.0.0.1:${opts.port}/postgres`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create role orderly login password 'orderly' createdb`);
    await admin.unsafe(`create database orderly owner orderly`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://orderly:orderly@127.0.0.1:${opts.port}/orderly`,
    adminUrl,
    port: opts.port,
    restart: async () => ctl('restart', ['-m', 'fast']),
    terminateConnections: async (databases) => {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        const [row] = await sql<{ n: number }[]>`
          select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
           where datname = any(${databases}) and pid <> pg_backend_pid()`;
        return row?.n ?? 0;
      } finally {
        await sql.end();
      }
    },
    stop: async () => ctl('stop', ['-m', 'fast']),
  };
}
