/**
 * `make chaos`: drives checkouts through the balancer while one fault per scenario hits the topology, waits for the
 * drain, checks the invariants and prints scenario | orders | confirmed | failed by reason | violations | drain.
 * Exits 1 on any violation, naming the order ids. See docs/chaos.md.
 *   CHAOS_ORDERS       checkouts per scenario (default 300; `make chaos-short` uses 40)
 *   CHAOS_SCENARIOS    which scenarios, by number or name, comma-separated (default all)
 *   CHAOS_CONCURRENCY  clients at once (default 16; the burst scenario uses 48)
 *   CHAOS_DRAIN_S      how long a scenario may take to drain (default 300)
 *   CHAOS_KEEP=1       keep the run directory (logs, databases) even when everything passed
 *   CHAOS_TOPOLOGY     cluster (default: `make cluster`'s topology) or local (dev server, SMTP sink, tsx)
 *   API_REPLICAS, WORKER_REPLICAS (default 2 each)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { buildBundles } from './bundles';
import { checkInvariants, drainState, drained, type DrainState, type Violation } from './check';
import { setCurrentVersion } from './deployment';
import { HttpClient } from './http';
import { Load, planKinds } from './load';
import { startClusterTopology } from './cluster';
import { startLocalTopology } from './local';
import { SCENARIOS, type Scenario } from './scenarios';
import type { Topology, WorkerBuild } from './topology';

const int = (name: string, fallback: number) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a whole number, not ${v}`);
  return Number(v);
};

const ORDERS = int('CHAOS_ORDERS', 300);
const CONCURRENCY = int('CHAOS_CONCURRENCY', 16);
const DRAIN_MS = int('CHAOS_DRAIN_S', 300) * 1000;
const TOPOLOGY = process.env.CHAOS_TOPOLOGY || 'cluster';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function selected(): Scenario[] {
  const want = (process.env.CHAOS_SCENARIOS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!want.length) return SCENARIOS;
  const found = want.map((w) => SCENARIOS.find((s) => String(s.id) === w || s.name === w));
  const unknown = want.filter((_, i) => !found[i]);
  if (unknown.length)
    throw new Error(
      `unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => `${s.id} ${s.name}`).join(', ')}`,
    );
  return found as Scenario[];
}

function buildId(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'local';
  }
}

export interface Row {
  scenario: string;
  orders: number;
  confirmed: number;
  failedByReason: string;
  violations: number;
  drainS: number | null;
  notes: string[];
  clientErrors: string;
}

/**
 * After a fault every process should be running again. One that is not crashed on its own (the faults restart what
 * they stop): it is named in the notes and started again, as a supervisor (systemd, Kubernetes) would.
 */
async function superviseCrashes(topology: Topology, notes: string[]): Promise<void> {
  const all = [...topology.apis, ...topology.workers, topology.temporalServer, topology.mailServer];
  for (const p of all.filter((x) => !x.running)) {
    log(`${p.name} is not running: it crashed on its own; starting it again`);
    notes.push(`${p.name} crashed on its own (see its log) and was restarted`);
    await p.start();
  }
}

async function runScenario(
  scenario: Scenario,
  topology: Topology,
  temporal: Client,
  sql: postgres.Sql,
  nextBuild: WorkerBuild,
): Promise<{ row: Row; violations: Violation[] }> {
  log(`scenario ${scenario.id} ${scenario.name}: ${scenario.title}`);
  const http = new HttpClient(topology.baseUrl);
  const load = new Load(http, topology.secrets, `s${scenario.id}-${randomUUID().slice(0, 8)}`);
  const kinds = planKinds(ORDERS);
  const scarceUnits = Math.max(1, Math.floor(kinds.filter((k) => k === 'scarce').length / 3));
  const catalog = await load.createCatalog(scarceUnits);
  const notes: string[] = [];
  const ctx = { topology, temporal, load, orders: ORDERS, nextBuild, log, notes };
  const [, fault] = await Promise.allSettled([
    load.run(catalog, kinds, scenario.concurrency ?? CONCURRENCY),
    scenario.fault(ctx),
  ]);
  const violations: Violation[] = [];
  await superviseCrashes(topology, notes);
  if (fault.status === 'rejected') {
    violations.push({ invariant: 'fault recovered', detail: String(fault.reason), ids: [] });
    log(`the fault did not recover cleanly: ${String(fault.reason)}`);
  }
  const loadDone = Date.now();
  log(`load done (${load.records.filter((r) => r.orderId).length} accepted); waiting for the drain`);
  const scope = { records: load.records, catalog };
  let state: DrainState | undefined;
  let drainMs: number | null = null;
  while (Date.now() - loadDone < DRAIN_MS) {
    try {
      state = await drainState(sql, temporal, topology.mail, scope);
      if (drained(state)) {
        drainMs = Date.now() - loadDone;
        break;
      }
    } catch (err) {
      log(`drain check failed (retrying): ${String(err)}`);
    }
    await sleep(1_000);
  }
  if (drainMs === null) {
    violations.push({
      invariant: 'drained',
      detail:
        `not drained within ${DRAIN_MS / 1000}s: ${state?.notTerminal.length ?? '?'} not terminal, ` +
        `${state?.held.length ?? '?'} holding stock, ${state?.runningWorkflows ?? '?'} checkouts running, ` +
        `${state?.missingMail.length ?? '?'} emails missing`,
      ids: [...(state?.notTerminal ?? []), ...(state?.missingMail ?? [])],
    });
  }
  await superviseCrashes(topology, notes);
  const result = await checkInvariants(sql, temporal, topology.mail, scope);
  violations.push(...result.violations);
  if (result.redelivered) notes.push(`${result.redelivered} same-Message-ID redeliveries`);
  if (result.unacknowledged.length) notes.push(`${result.unacknowledged.length} orders whose client gave up`);
  const reasons = new Map<string, number>();
  for (const o of result.orders) {
    if (o.status === 'confirmed') continue;
    const reason = o.status === 'cancelled' ? (o.confirmed ? 'cancelled+refunded' : 'cancelled') : o.failure_reason;
    reasons.set(reason ?? o.status, (reasons.get(reason ?? o.status) ?? 0) + 1);
  }
  const clientErrors = new Map<string, number>();
  for (const r of load.records.filter((x) => !x.orderId)) {
    const k = String(r.accepted);
    clientErrors.set(k, (clientErrors.get(k) ?? 0) + 1);
  }
  const retries = [...http.retries].map(([k, v]) => `${k} x${v}`).join(', ');
  if (retries) notes.push(`client retries: ${retries}`);
  const row: Row = {
    scenario: `${scenario.id} ${scenario.name}`,
    orders: result.orders.length,
    confirmed: result.orders.filter((o) => o.status === 'confirmed').length,
    failedByReason: [...reasons]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
    violations: violations.reduce((a, v) => a + Math.max(1, v.ids.length), 0),
    drainS: drainMs === null ? null : drainMs / 1000,
    notes,
    clientErrors: [...clientErrors].map(([k, v]) => `${k} x${v}`).join(', '),
  };
  for (const v of violations) {
    log(`VIOLATION ${v.invariant}: ${v.detail}${v.ids.length ? `: ${v.ids.slice(0, 50).join(' ')}` : ''}`);
  }
  log(`scenario ${scenario.id} done: ${row.orders} orders, ${row.confirmed} confirmed, ${row.violations} violations`);
  return { row, violations };
}

export function formatTable(rows: Row[]): string {
  const head = ['scenario', 'orders', 'confirmed', 'failed by reason', 'violations', 'time to drain'];
  const body = rows.map((r) => [
    r.scenario,
    String(r.orders),
    String(r.confirmed),
    r.failedByReason || '-',
    String(r.violations),
    r.drainS === null ? 'not drained' : `${r.drainS.toFixed(1)} s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const scenarios = selected();
  if (TOPOLOGY !== 'cluster' && TOPOLOGY !== 'local') throw new Error(`CHAOS_TOPOLOGY must be cluster or local`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-chaos-'));
  log(`run directory ${dir}`);
  log('bundling the workflows: the current build and the next one (scenario 7)');
  const bundles = await buildBundles(path.join(dir, 'bundles'));
  const base = buildId();
  const current: WorkerBuild = { buildId: base, bundlePath: bundles.current };
  const nextBuild: WorkerBuild = { buildId: `${base}-next`, bundlePath: bundles.next };
  const topology = await (TOPOLOGY === 'cluster' ? startClusterTopology : startLocalTopology)({
    dir,
    apiReplicas: int('API_REPLICAS', 2),
    workerReplicas: int('WORKER_REPLICAS', 2),
    build: current,
    log,
  });
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    log('interrupted: stopping the topology');
    void topology.close().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const connection = await Connection.connect({ address: topology.temporal.address });
  const temporal = new Client({ connection, namespace: topology.temporal.namespace });
  const sql = postgres(topology.databaseUrl, { max: 4, onnotice: () => {} });
  const rows: Row[] = [];
  const all: { scenario: string; violations: Violation[] }[] = [];
  const started = new Date();
  try {
    await setCurrentVersion(temporal, topology.deployment.name, current.buildId);
    log(`topology up: ${topology.describe}; balancer ${topology.baseUrl}`);
    for (const scenario of scenarios) {
      const { row, violations } = await runScenario(scenario, topology, temporal, sql, nextBuild);
      rows.push(row);
      all.push({ scenario: row.scenario, violations });
    }
  } finally {
    await sql.end({ timeout: 5 });
    await connection.close();
    await topology.close();
  }
  const failed = all.some((a) => a.violations.length);
  const report = [
    '',
    `chaos run ${started.toISOString()} on ${os.hostname()} (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? '?'})`,
    `topology: ${topology.describe}; ${ORDERS} checkouts per scenario`,
    '',
    formatTable(rows),
    '',
    ...rows.flatMap((r) => [
      `${r.scenario}: ${r.notes.join('; ') || '-'}${r.clientErrors ? `; not accepted: ${r.clientErrors}` : ''}`,
    ]),
    '',
  ].join('\n');
  console.log(report);
  fs.writeFileSync(path.join(dir, 'report.txt'), report);
  if (failed) {
    console.log('VIOLATIONS:');
    for (const a of all)
      for (const v of a.violations) console.log(`  ${a.scenario}: ${v.invariant}: ${v.detail}: ${v.ids.join(' ')}`);
    console.log(`logs and databases kept in ${dir}`);
    process.exitCode = 1;
  } else if (process.env.CHAOS_KEEP === '1' || rows.some((r) => r.notes.some((n) => n.includes('crashed')))) {
    console.log(`logs and databases kept in ${dir}`);
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('chaos failed:', err);
    process.exit(1);
  });
}
