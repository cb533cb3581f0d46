/**
 * Where the checkout bench's time goes (BENCH_DETAIL=1): CPU per completed item in this process and in the dev server,
 * machine busy time, per-activity run time and SQL round trips, and what the sampled workflow histories did.
 */
import fs from 'node:fs';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Client } from '@temporalio/client';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { DbHandle } from '../db/client';

const TICK_MS = 10; // CLK_TCK is 100 on Linux

/** CPU time (ms) of this process, of the dev server, and of the whole machine (busy, all cores), at one moment. */
export function cpuNow(serverPid: number | undefined) {
  const self = process.cpuUsage();
  let server = 0;
  try {
    const stat = fs.readFileSync(`/proc/${serverPid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    server = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS; // utime stime cutime cstime
  } catch {
    /* not on Linux: leave 0 */
  }
  const cpu = fs.existsSync('/proc/stat')
    ? fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    : [];
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const total = cpu.reduce((a, b) => a + b, 0);
  return {
    bench: (self.user + self.system) / 1000,
    server,
    machineBusy: (total - idle) * TICK_MS,
    wall: performance.now(),
  };
}

export const zeroCpu = (): ReturnType<typeof cpuNow> => ({ bench: 0, server: 0, machineBusy: 0, wall: 0 });

/** Adds what was spent between two cpuNow() readings to a running total (a side measured in several rounds). */
export function addCpu(total: ReturnType<typeof cpuNow>, a: ReturnType<typeof cpuNow>, b: ReturnType<typeof cpuNow>) {
  total.bench += b.bench - a.bench;
  total.server += b.server - a.server;
  total.machineBusy += b.machineBusy - a.machineBusy;
  total.wall += b.wall - a.wall;
}

/** CPU ms per completed item between two cpuNow() readings; `other` is the rest of the machine (PostgreSQL, others). */
export function cpuPer(a: ReturnType<typeof cpuNow>, b: ReturnType<typeof cpuNow>, items: number) {
  const bench = b.bench - a.bench;
  const server = b.server - a.server;
  const busy = b.machineBusy - a.machineBusy;
  const r = (x: number) => +(x / items).toFixed(1);
  return {
    benchMs: r(bench),
    devServerMs: r(server),
    otherMs: r(busy - bench - server),
    machineBusyPct: +((100 * busy) / (2 * (b.wall - a.wall))).toFixed(0),
  };
}

interface Stat {
  n: number;
  ms: number;
  sql: number;
}
const current = new AsyncLocalStorage<string>();
export const activityStats = new Map<string, Stat>();
let apiSql = 0;

/** Times every activity and attributes SQL statements to it (PGlite only: we wrap the embedded client). */
export const timingInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const type = ctx.info.activityType;
      const t0 = performance.now();
      try {
        return await current.run(type, () => next(input));
      } finally {
        const s = activityStats.get(type) ?? { n: 0, ms: 0, sql: 0 };
        s.n++;
        s.ms += performance.now() - t0;
        activityStats.set(type, s);
      }
    },
  },
});

/**
 * When an item's last activity has finished, in this process: the checkout's confirmation email
 * (sendOrderNotification of `order_confirmed`, keyed by order id) or the ceiling's last no-op (keyed by workflow id).
 * Both workers get this interceptor, so measuring costs the two sides the same and loads nothing else.
 */
export const LAST_BARE_STEP = 'sendOrderNotification';
const waiting = new Map<string, () => void>();
const finishedEarly = new Set<string>();
export function whenFinished(key: string): Promise<void> {
  if (finishedEarly.delete(key)) return Promise.resolve();
  return new Promise((resolve) => waiting.set(key, resolve));
}
export const completionInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const out = await next(input);
      const arg = input.args[0] as { orderId?: string; kind?: string } | string | undefined;
      const key =
        ctx.info.activityType === 'sendOrderNotification' && typeof arg === 'object' && arg.kind === 'order_confirmed'
          ? arg.orderId
          : ctx.info.activityType === 'noop' && arg === LAST_BARE_STEP
            ? ctx.info.workflowExecution?.workflowId
            : undefined;
      if (key) {
        const wake = waiting.get(key);
        waiting.delete(key);
        if (wake) wake();
        else finishedEarly.add(key); // asked for later (the API's answer may come after the last activity)
      }
      return out;
    },
  },
});

/** Counts statements sent to PGlite (BEGIN and COMMIT included), per running activity, else against the API. */
export function countSql(handle: DbHandle) {
  if (handle.kind !== 'pglite') return;
  const count = () => {
    const type = current.getStore();
    if (!type) return void apiSql++;
    const s = activityStats.get(type) ?? { n: 0, ms: 0, sql: 0 };
    s.sql++;
    activityStats.set(type, s);
  };
  type Q = {
    query: (...a: unknown[]) => Promise<unknown>;
    transaction: (cb: (tx: Q) => Promise<unknown>) => Promise<unknown>;
  };
  const client = (handle.db as unknown as { $client: Q }).$client;
  const query = client.query.bind(client);
  const transaction = client.transaction.bind(client);
  client.query = (...a) => (count(), query(...a));
  client.transaction = (cb) => {
    count(); // BEGIN; the COMMIT is counted below
    return transaction(async (tx) => {
      const txQuery = tx.query.bind(tx);
      tx.query = (...a) => (count(), txQuery(...a));
      const out = await cb(tx);
      count();
      return out;
    });
  };
}

export function resetStats() {
  activityStats.clear();
  apiSql = 0;
}

export function statsPer(checkouts: number) {
  const acts = Object.fromEntries(
    [...activityStats]
      .filter(([k]) => k !== 'noop')
      .map(([k, s]) => [k, { runs: s.n, meanMs: +(s.ms / s.n).toFixed(1), sqlPerRun: +(s.sql / s.n).toFixed(1) }]),
  );
  return { activities: acts, apiSqlPerCheckout: +(apiSql / checkouts).toFixed(1) };
}

/** Mean scheduled->started and started->completed per activity type, and workflow tasks, over some closed workflows. */
export async function historySummary(client: Client, workflowIds: string[]) {
  const per = new Map<string, { n: number; queue: number; run: number }>();
  let tasks = 0;
  let events = 0;
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const scheduled = new Map<string, { type: string; at: number }>();
    const started = new Map<string, number>();
    const ms = (t: unknown) => {
      const ts = t as { seconds?: { toNumber(): number } | number; nanos?: number };
      return Number(typeof ts.seconds === 'object' ? ts.seconds.toNumber() : ts.seconds) * 1000 + (ts.nanos ?? 0) / 1e6;
    };
    for (const e of history.events ?? []) {
      events++;
      const id = String(e.eventId);
      if (e.workflowTaskCompletedEventAttributes) tasks++;
      const sch = e.activityTaskScheduledEventAttributes;
      if (sch) scheduled.set(id, { type: sch.activityType?.name ?? '?', at: ms(e.eventTime) });
      const st = e.activityTaskStartedEventAttributes;
      if (st) started.set(String(st.scheduledEventId), ms(e.eventTime));
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        const s = scheduled.get(String(done.scheduledEventId));
        const begun = started.get(String(done.scheduledEventId));
        if (!s || begun === undefined) continue;
        const p = per.get(s.type) ?? { n: 0, queue: 0, run: 0 };
        p.n++;
        p.queue += begun - s.at;
        p.run += ms(e.eventTime) - begun;
        per.set(s.type, p);
      }
    }
  }
  const n = workflowIds.length || 1;
  return {
    workflows: workflowIds.length,
    workflowTasksPerWorkflow: +(tasks / n).toFixed(1),
    eventsPerWorkflow: +(events / n).toFixed(1),
    activities: Object.fromEntries(
      [...per].map(([k, p]) => [
        k,
        { scheduledToStartedMs: Math.round(p.queue / p.n), startedToCompletedMs: Math.round(p.run / p.n) },
      ]),
    ),
  };
}

/**
 * BENCH_PROFILE=<file>: a V8 CPU profile of this process over one phase (open it in Chrome DevTools or speedscope).
 * Returns a stop function that writes the file; a no-op when the variable is unset.
 */
export async function startProfile(file: string | undefined): Promise<() => Promise<void>> {
  if (!file) return async () => {};
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

/** The dev server's work that a workflow causes: store calls (history and visibility), internal tasks, RPCs handled. */
const SERVER_WORK =
  /^(persistence_requests|visibility_persistence_requests|task_requests|service_requests|client_requests)$/;

/**
 * The dev server's own counters (its Prometheus `/metrics`) of SERVER_WORK, summed per metric and `operation` label.
 * Timeout checks fire 10 to 30 s after their task: a side's counters hold those that fired while it ran; the rest
 * fall in the settle pause after it, which these readings leave out.
 */
export async function serverCounters(metricsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || !SERVER_WORK.test(m[1]!)) continue;
    const [, name, labels = '', value] = m;
    const op = /(?:^|,)operation="([^"]*)"/.exec(labels)?.[1];
    const key = op ? `${name}{${op}}` : name!;
    out.set(key, (out.get(key) ?? 0) + Number(value));
  }
  return out;
}

/** Adds the counters' growth between two readings to a side's running total. */
export function addCounters(total: Map<string, number>, a: Map<string, number>, b: Map<string, number>) {
  for (const [k, v] of b) {
    const d = v - (a.get(k) ?? 0);
    if (d) total.set(k, (total.get(k) ?? 0) + d);
  }
}

/** Per item, the `top` counters that differ most between two sides, largest difference first: [side a, side b]. */
export function counterDiffs(
  a: { counters: Map<string, number>; items: number },
  b: { counters: Map<string, number>; items: number },
  top = 15,
) {
  const per = (side: typeof a, k: string) => (side.counters.get(k) ?? 0) / side.items;
  const rows = [...new Set([...a.counters.keys(), ...b.counters.keys()])].map((k) => ({
    k,
    pa: per(a, k),
    pb: per(b, k),
  }));
  rows.sort((x, y) => Math.abs(y.pb - y.pa) - Math.abs(x.pb - x.pa));
  const total = (side: typeof a) => [...side.counters.values()].reduce((x, y) => x + y, 0) / side.items;
  return {
    all: [+total(a).toFixed(1), +total(b).toFixed(1)],
    ...Object.fromEntries(rows.slice(0, top).map((r) => [r.k, [+r.pa.toFixed(2), +r.pb.toFixed(2)]])),
  };
}
