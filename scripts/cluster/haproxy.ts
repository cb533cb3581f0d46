/**
 * HAProxy in front of the API replicas, configured by deploy/haproxy/haproxy.cfg (shared with docker-compose.yml).
 * Natively the replicas are added, drained and removed at run time through HAProxy's runtime API (a Unix socket).
 */
import net from 'node:net';
import { deployPath, haproxyEnv } from './config';
import { ManagedProcess, waitFor } from './process';

const BACKEND = 'api';

/** Sends one runtime API command and returns HAProxy's answer. */
export function runtimeCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(socket);
    let out = '';
    conn.setTimeout(5_000, () => conn.destroy(new Error(`haproxy runtime API: no answer to "${command}"`)));
    conn.on('data', (d) => (out += d.toString()));
    conn.on('end', () => resolve(out.trim()));
    conn.on('error', reject);
    conn.end(`${command}\n`);
  });
}

export interface ServerStat {
  name: string;
  /** UP, DOWN, MAINT, DRAIN, "no check", ... */
  status: string;
  /** Requests in flight on it now. */
  sessions: number;
  /** The last health check's result, e.g. L7OK, L7STS (wrong status), L4CON (refused). */
  check: string;
}

export class Balancer {
  readonly proc: ManagedProcess;

  constructor(
    readonly opts: { haproxy: string; port: number; socket: string; logFile: string; env?: NodeJS.ProcessEnv },
  ) {
    this.proc = new ManagedProcess({
      name: 'haproxy',
      command: opts.haproxy,
      // -db: stay in the foreground; -W: master-worker, so SIGUSR1 (soft stop) drains then exits.
      args: ['-W', '-db', '-f', deployPath('haproxy')],
      env: { ...(opts.env ?? process.env), ...haproxyEnv(opts.port, opts.socket) },
      logFile: opts.logFile,
      ready: (proc) =>
        waitFor('haproxy runtime API answers', () => this.command('show info'), { timeoutMs: 15_000, proc }),
    });
  }

  command(command: string): Promise<string> {
    return runtimeCommand(this.opts.socket, command);
  }

  /** Adds a replica (health-checked on /health) and lets it take traffic once its checks pass. */
  async addServer(name: string, address: string): Promise<void> {
    const answer = await this.command(`add server ${BACKEND}/${name} ${address} check`);
    if (!/New server registered|Already exists/i.test(answer)) throw new Error(`haproxy add server ${name}: ${answer}`);
    await this.command(`enable health ${BACKEND}/${name}`);
    await this.command(`enable server ${BACKEND}/${name}`);
  }

  /** Takes a replica out of the rotation and deletes it (in-flight requests on it are left to finish). */
  async removeServer(name: string): Promise<void> {
    await this.command(`disable server ${BACKEND}/${name}`);
    await this.command(`del server ${BACKEND}/${name}`);
  }

  /** New requests stop going to the replica; those in flight finish. */
  async drain(name: string): Promise<void> {
    await this.command(`set server ${BACKEND}/${name} state drain`);
  }

  async ready(name: string): Promise<void> {
    await this.command(`set server ${BACKEND}/${name} state ready`);
  }

  /** The API servers as HAProxy sees them now. */
  async servers(): Promise<ServerStat[]> {
    const csv = await this.command('show stat');
    const lines = csv.replace(/^# /, '').split('\n');
    const header = lines[0]!.split(',');
    const col = (row: string[], name: string) => row[header.indexOf(name)] ?? '';
    return lines
      .slice(1)
      .map((l) => l.split(','))
      .filter((row) => col(row, 'pxname') === BACKEND && !['BACKEND', 'FRONTEND'].includes(col(row, 'svname')))
      .map((row) => ({
        name: col(row, 'svname'),
        status: col(row, 'status'),
        sessions: Number(col(row, 'scur')),
        check: col(row, 'check_status').replace(/^\* ?/, ''),
      }));
  }

  /** Waits until HAProxy has `name` in the given state; UP also needs a passed health check, not just `enable`. */
  async waitForStatus(name: string, status: 'UP' | 'DOWN' | 'MAINT', timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `haproxy sees ${name} ${status}`,
      async () => {
        const s = (await this.servers()).find((x) => x.name === name);
        if (!s?.status.startsWith(status) || (status === 'UP' && s.check !== 'L7OK'))
          throw new Error(`${name} is ${s?.status ?? 'absent'} (last check ${s?.check ?? '-'})`);
      },
      { timeoutMs },
    );
  }

  /** Waits (bounded) until no request is in flight on `name`. */
  async waitIdle(name: string, timeoutMs = 15_000): Promise<void> {
    await waitFor(
      `requests on ${name} finish`,
      async () => {
        const s = (await this.servers()).find((x) => x.name === name);
        if (s && s.sessions > 0) throw new Error(`${s.sessions} in flight`);
      },
      { timeoutMs, intervalMs: 100 },
    );
  }
}
