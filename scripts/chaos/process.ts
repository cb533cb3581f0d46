/**
 * A child process the chaos runner can kill and start again: its output goes to a log file, it runs in its own
 * process group (a signal reaches it and its children), and a start waits for a readiness condition, bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface ProcessSpec {
  /** Shown in logs and the table, e.g. "api-1". */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** Resolves when the process is ready; polled until readyTimeoutMs. Gets the output so far. */
  ready: (output: () => string) => Promise<boolean>;
  readyTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every process any ManagedProcess started, so a runner that dies still kills them on its way out. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.pid) killGroup(child.pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private output = '';
  private exited: Promise<void> = Promise.resolve();
  /** How many times it was started: restarts show in the logs as new sections. */
  starts = 0;

  constructor(public spec: ProcessSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.starts += 1;
    this.output = '';
    const log = fs.createWriteStream(this.spec.logFile, { flags: 'a' });
    log.write(
      `\n---- ${new Date().toISOString()} start #${this.starts}: ${this.spec.command} ${this.spec.args.join(' ')}\n`,
    );
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    live.add(child);
    const keep = (chunk: Buffer) => {
      // Only the tail matters for readiness; keep memory bounded.
      this.output = (this.output + chunk.toString('utf8')).slice(-64_000);
      log.write(chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        log.end(`---- ${new Date().toISOString()} exited (${signal ?? code})\n`);
        resolve();
      }),
    );
    const deadline = Date.now() + (this.spec.readyTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited while starting; see ${this.spec.logFile}`);
      if (await this.spec.ready(() => this.output).catch(() => false)) return;
      await sleep(200);
    }
    throw new Error(
      `${this.name} was not ready within ${this.spec.readyTimeoutMs ?? 60_000} ms; see ${this.spec.logFile}`,
    );
  }

  /** Sends a signal to the process group without waiting. */
  signal(signal: NodeJS.Signals): void {
    if (this.running && this.child?.pid) killGroup(this.child.pid, signal);
  }

  /** Sends `signal` and waits for the exit; after timeoutMs it SIGKILLs. Returns whether it exited in time. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<boolean> {
    if (!this.running) return true;
    this.signal(signal);
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      this.signal('SIGKILL');
      await this.exited;
    }
    return inTime;
  }
}

/** Polls an HTTP URL until it answers 2xx. */
export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  await res.body?.cancel();
  return res.ok;
}
