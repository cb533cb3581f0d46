/**
 * The seven faults, one per scenario. Each runs beside the load, timed by how many checkouts have been answered, and
 * returns when the fault is over and the topology whole again (or throws). Every wait is bounded.
 */
import type { Client } from '@temporalio/client';
import { setCurrentVersion } from './deployment';
import type { Load } from './load';
import type { Proc, Topology, WorkerBuild } from './topology';

export interface FaultContext {
  topology: Topology;
  temporal: Client;
  load: Load;
  orders: number;
  nextBuild: WorkerBuild;
  log: (msg: string) => void;
  /** Notes for the report line. */
  notes: string[];
}

export interface Scenario {
  id: number;
  name: string;
  title: string;
  /** Clients at once (a burst uses more). */
  concurrency?: number;
  fault(ctx: FaultContext): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROGRESS_WAIT_MS = 600_000;

/** Waits until `fraction` of the checkouts have been answered (or the load is over), bounded. */
async function progress(ctx: FaultContext, fraction: number): Promise<void> {
  const deadline = Date.now() + PROGRESS_WAIT_MS;
  while (ctx.load.answered < Math.ceil(ctx.orders * fraction) && Date.now() < deadline) await sleep(100);
}

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

async function timed(what: () => Promise<unknown>): Promise<number> {
  const t = Date.now();
  await what();
  return Date.now() - t;
}

export const SCENARIOS: Scenario[] = [
  {
    id: 1,
    name: 'worker-kill',
    title: 'a worker SIGKILLed at random moments, 3 times, and restarted',
    async fault(ctx) {
      for (let k = 1; k <= 3; k++) {
        await progress(ctx, between(k - 1, k) / 4);
        const victim = pick(ctx.topology.workers.filter((w) => w.running));
        await victim.stop('SIGKILL');
        ctx.log(`SIGKILL ${victim.name}`);
        await sleep(between(500, 3_000));
        const ms = await timed(() => victim.start());
        ctx.notes.push(`${victim.name} back in ${(ms / 1000).toFixed(1)}s`);
      }
    },
  },
  {
    id: 2,
    name: 'temporal-kill',
    title: 'the Temporal server SIGKILLed and restarted (its state is in its database)',
    async fault(ctx) {
      await progress(ctx, 0.3);
      await ctx.topology.temporalServer.stop('SIGKILL');
      ctx.log('SIGKILL temporal server');
      await sleep(5_000);
      const ms = await timed(() => ctx.topology.temporalServer.start());
      ctx.notes.push(`down 5s, serving again ${(ms / 1000).toFixed(1)}s after restart`);
    },
  },
  {
    id: 3,
    name: 'api-kill',
    title: 'one API replica SIGKILLed during a burst; clients retry through the balancer with the same key',
    concurrency: 48,
    async fault(ctx) {
      await progress(ctx, 0.25);
      const victim = ctx.topology.apis[0]!;
      await victim.stop('SIGKILL');
      ctx.log(`SIGKILL ${victim.name}`);
      await progress(ctx, 0.6);
      await victim.start();
      ctx.notes.push(`${victim.name} down from 25% to 60% of the burst`);
    },
  },
  {
    id: 4,
    name: 'postgres',
    title: "PostgreSQL's connections terminated twice (pg_terminate_backend), then PostgreSQL restarted",
    async fault(ctx) {
      const pg = ctx.topology.postgres;
      await progress(ctx, 0.2);
      const first = await pg.terminateConnections();
      await progress(ctx, 0.4);
      const second = await pg.terminateConnections();
      await progress(ctx, 0.6);
      const ms = await timed(() => pg.restart());
      ctx.log(`terminated ${first} + ${second} connections, restarted PostgreSQL`);
      ctx.notes.push(`${first}+${second} connections terminated; restart took ${(ms / 1000).toFixed(1)}s`);
    },
  },
  {
    id: 5,
    name: 'mail-down',
    title: 'the mail server down for 20 s, then back',
    async fault(ctx) {
      await progress(ctx, 0.2);
      await ctx.topology.mailServer.stop('SIGTERM');
      ctx.log(`${ctx.topology.mailServer.name} stopped`);
      await sleep(20_000);
      await ctx.topology.mailServer.start();
      ctx.notes.push(`${ctx.topology.mailServer.name} down 20s`);
    },
  },
  {
    id: 6,
    name: 'sigterm-all',
    title: 'SIGTERM to every Orderly process during load: graceful drain, then restart',
    async fault(ctx) {
      await progress(ctx, 0.3);
      const all: Proc[] = [...ctx.topology.apis, ...ctx.topology.workers];
      const t = Date.now();
      const inTime = await Promise.all(all.map((p) => p.stop('SIGTERM')));
      const stoppedMs = Date.now() - t;
      ctx.log(`SIGTERM to ${all.length} processes: all exited after ${stoppedMs} ms`);
      await Promise.all(all.map((p) => p.start()));
      ctx.notes.push(
        `${inTime.filter(Boolean).length}/${all.length} exited on their own in ${(stoppedMs / 1000).toFixed(1)}s`,
      );
      if (!inTime.every(Boolean)) throw new Error('a process did not exit on SIGTERM within its stop timeout');
    },
  },
  {
    id: 7,
    name: 'rolling-deploy',
    title: 'the workers rolled to a changed build mid-load (Worker Versioning, auto-upgrade)',
    async fault(ctx) {
      const { topology } = ctx;
      // The new workers start with the load (starting takes a while); the switch comes when checkouts are in flight.
      const old = topology.workers;
      const fresh = await topology.startWorkers(ctx.nextBuild);
      await progress(ctx, 0.4);
      await setCurrentVersion(ctx.temporal, topology.deployment.name, ctx.nextBuild.buildId);
      const inFlight = (await ctx.temporal.workflow.count(`WorkflowType = 'checkout' AND ExecutionStatus = 'Running'`))
        .count;
      ctx.log(`${ctx.nextBuild.buildId} is current; ${inFlight} checkouts running`);
      // One old worker at a time, each drained by SIGTERM, as a rolling deploy replaces replicas.
      for (const w of old) await w.stop('SIGTERM');
      topology.workers = fresh;
      topology.deployment.current = ctx.nextBuild;
      ctx.notes.push(`${inFlight} checkouts running at the switch to ${ctx.nextBuild.buildId}`);
    },
  },
];
