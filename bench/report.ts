/**
 * What every bench shares: CPU time of this process or of another process tree (read from /proc), a printed table,
 * and a JSON file of the figures. CPU per item varies far less than rates on a shared machine, so benches report both.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in ticks of 10 ms. */
const TICK_S = 0.01;

/** CPU seconds (user + system) used so far by this process. */
export function selfCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** utime, stime, cutime, cstime of one process in seconds, plus its parent's pid; null when it is gone. */
function readStat(pid: number): { ppid: number; cpu: number } | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
  return { ppid: Number(fields[1]), cpu: (utime! + stime! + cutime! + cstime!) * TICK_S };
}

/**
 * CPU seconds used so far by a process and all its live descendants, including children they have already reaped
 * (so a difference of two readings stays right when a child exits in between). For a server started elsewhere, such
 * as PostgreSQL, pass its main pid: its backends are its children.
 */
export function treeCpuSeconds(rootPid: number): number {
  if (!fs.existsSync('/proc')) return NaN;
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    cpu.set(pid, stat.cpu);
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    total += cpu.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/**
 * Starts a CPU meter; the returned function gives CPU milliseconds per item since the start. `pid` omitted measures
 * this process; otherwise the process tree rooted at `pid`.
 */
export function cpuMeter(pid?: number): (items: number) => number {
  const read = pid === undefined ? selfCpuSeconds : () => treeCpuSeconds(pid);
  const start = read();
  return (items) => ((read() - start) * 1000) / items;
}

export type Row = Record<string, string | number | boolean | null>;

/** Prints a title and rows as an aligned text table (numbers right-aligned) on stdout. */
export function printTable(title: string, rows: Row[]): void {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: Row[string] | undefined) =>
    v === undefined || v === null ? '' : typeof v === 'number' ? formatNumber(v) : String(v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[], numeric: boolean[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  console.log(`\n${title}`);
  console.log(
    line(
      columns,
      columns.map(() => false),
    ),
  );
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows)
    console.log(
      line(
        columns.map((c) => cell(r[c])),
        columns.map((c) => typeof r[c] === 'number'),
      ),
    );
}

/** Three significant figures for small values, thousands grouped for large ones. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return String(Number(v.toPrecision(3)));
}

/**
 * Writes the figures as pretty JSON to `process.env[envVar]` if set, else to `defaultPath` (relative to the
 * repository), creating the directory; returns the path written.
 */
export function writeFigures(defaultPath: string, figures: unknown, envVar = 'BENCH_JSON'): string {
  const file = path.resolve(process.env[envVar] ?? path.join(__dirname, '..', defaultPath));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  return file;
}

/** Where and when a run happened, for the figures file. */
export function machine(): { date: string; cpus: number; model: string; node: string; loadavg: number[] } {
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadavg: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}
