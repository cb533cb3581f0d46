/**
 * What the chaos scenarios need from a running Orderly topology, whoever started it: where the balancer is, where to
 * check the invariants, and handles on every process a fault can hit. The local topology (local.ts) and `make
 * cluster` (cluster.ts) both provide it.
 */
import type { ManagedProcess } from '../cluster/process';
import type { MailSource } from './mail';

/** One process (or replica) that a fault can stop and a recovery start again. */
export interface Proc {
  readonly name: string;
  readonly running: boolean;
  /** Starts it and waits until it is ready (bounded). */
  start(): Promise<void>;
  /** Sends `signal` and waits for the exit, SIGKILL after its stop timeout; true when it exited before that. */
  stop(signal?: NodeJS.Signals): Promise<boolean>;
}

export interface WorkerBuild {
  buildId: string;
  /** The prebuilt workflow bundle these workers run (WORKFLOW_BUNDLE_PATH). */
  bundlePath: string;
}

export interface Topology {
  describe: string;
  /** The load balancer in front of the API replicas: every client request goes here. */
  baseUrl: string;
  /** Orderly's database (orders, stock, the sandbox payment ledger). */
  databaseUrl: string;
  temporal: { address: string; namespace: string; taskQueue: string };
  secrets: { jwt: string; webhook: string };
  /** The cancellation window the API stamps on checkouts (short here, so runs close and can be counted). */
  cancellationWindowMs: number;
  mail: MailSource;
  apis: Proc[];
  /** The workers now deployed (replaced by a rolling deploy). */
  workers: Proc[];
  temporalServer: Proc;
  mailServer: Proc;
  postgres: {
    /** pg_terminate_backend on every client connection of the topology's databases; returns how many. */
    terminateConnections(): Promise<number>;
    restart(): Promise<void>;
  };
  deployment: { name: string; current: WorkerBuild };
  /**
   * Starts as many workers of `build` as are deployed now, beside them (not yet current: routing is the caller's
   * move). Returns the new workers; `workers` is the caller's to replace.
   */
  startWorkers(build: WorkerBuild): Promise<Proc[]>;
  /** Stops everything it started. */
  close(): Promise<void>;
}

/** What starting either topology takes. */
export interface TopologyOptions {
  /** The run directory: logs, databases, configuration. */
  dir: string;
  apiReplicas: number;
  workerReplicas: number;
  /** The build the workers start on. */
  build: WorkerBuild;
  log: (msg: string) => void;
}

/** A ManagedProcess (scripts/cluster/process.ts) as a Proc: stop() says whether it exited before the SIGKILL. */
export function asProc(p: ManagedProcess): Proc {
  return {
    get name() {
      return p.name;
    },
    get running() {
      return p.running;
    },
    start: () => p.start(),
    stop: async (signal = 'SIGTERM') => {
      await p.stop(signal);
      return signal === 'SIGKILL' || p.lastExit?.signal !== 'SIGKILL';
    },
  };
}
