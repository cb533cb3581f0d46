/**
 * One program the cluster runs, as a child that can be started, stopped gracefully, killed and started again with
 * the same command, ports and log file: what `make cluster` needs to run it and `make chaos` needs to break it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface ProcessSpec {
  /** Short unique name, e.g. "api-1", "worker-2", "temporal". */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr are appended here. */
  logFile: string;
  /** How long a graceful stop may take before SIGKILL. */
  stopTimeoutMs?: number;
  /** Resolves when the started process is ready for use; rejects (or times out) otherwise. */
  ready?: (proc: ManagedProcess) => Promise<void>;
}

/** Every child still running, so an exiting runner never leaves one behind (last resort; stop() is the normal way). */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) {
    try {
      // Own process group (detached): kill the group, so a child's own children go too.
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Exit code or signal of the last run, once it ended. */
  lastExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Called when the process ends without stop() or kill() being asked for. */
  onUnexpectedExit: ((proc: ManagedProcess) => void) | undefined;
  private stopping = false;

  constructor(readonly spec: ProcessSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process (if not running) and waits until its `ready` check passes. */
  async start(): Promise<void> {
    if (this.running) return;
    const { spec } = this;
    const log = fs.openSync(spec.logFile, 'a');
    fs.writeSync(log, `\n--- ${new Date().toISOString()} starting ${spec.command} ${spec.args.join(' ')}\n`);
    // Own process group: Ctrl-C in the terminal reaches only the runner, which stops children in its own order.
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', log, log],
      detached: true,
    });
    fs.closeSync(log);
    this.child = child;
    this.stopping = false;
    this.lastExit = undefined;
    live.add(child);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.lastExit = { code, signal };
        if (!this.stopping) this.onUnexpectedExit?.(this);
        resolve();
      });
      child.once('error', (err) => {
        live.delete(child);
        this.lastExit = { code: null, signal: null };
        fs.appendFileSync(spec.logFile, `--- could not start: ${err.message}\n`);
        resolve();
      });
    });
    if (spec.ready) {
      try {
        await spec.ready(this);
      } catch (err) {
        await this.kill();
        throw new Error(
          `${spec.name} did not become ready (log: ${spec.logFile}): ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }

  /** Resolves when the current run has ended. */
  whenExited(): Promise<void> {
    return this.exited;
  }

  /** Sends `signal` (SIGTERM: graceful) and waits for the exit; SIGKILL after the stop timeout. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.signal(signal);
    const timer = setTimeout(() => this.signal('SIGKILL'), this.spec.stopTimeoutMs ?? 20_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL, as a crash would: no drain. */
  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Signals the whole process group (the program and anything it started). */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (!pid || !this.running) return;
    try {
      process.kill(-pid, signal);
    } catch {
      /* exited meanwhile */
    }
  }
}

/** Polls `check` until it resolves, at most `timeoutMs`; fails early if `proc` exits. */
export async function waitFor(
  what: string,
  check: () => Promise<unknown>,
  opts: { timeoutMs: number; intervalMs?: number; proc?: ManagedProcess },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (opts.proc && !opts.proc.running) {
      const exit = opts.proc.lastExit;
      throw new Error(`${opts.proc.name} exited (code ${exit?.code}, signal ${exit?.signal}) before ${what}`);
    }
    try {
      await check();
      return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
  throw new Error(`${what}: not within ${opts.timeoutMs} ms (${last instanceof Error ? last.message : String(last)})`);
}

/** GET url and require a 2xx answer. */
export async function httpOk(url: string): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
}
