/**
 * Schemathesis, pinned (requirements.txt next to this file, every package), installed from PyPI into a venv under
 * .tools/schemathesis/, and one run of it against a running Orderly with a bearer token, read back as figures.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const SCHEMATHESIS_VERSION = '4.32.5';
/** The checks `make fuzz` and its short version in `make test` require to pass on every response. */
export const FUZZ_CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'response_headers_conformance',
  'negative_data_rejection',
  'positive_data_acceptance',
  'unsupported_method',
  'allow_header_conformance',
] as const;

const root = path.resolve(__dirname, '..', '..');
const requirements = path.join(__dirname, 'requirements.txt');
const home = path.join(root, '.tools', 'schemathesis', SCHEMATHESIS_VERSION);
/** Where a plain `pip install --target` puts it when python3 has no venv module (Debian without python3-venv). */
const target = path.join(home, 'site');
const CLI = 'import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())';

/** How to run `st`: the venv's script, or python3 with the --target folder on its path. */
function candidates(): string[][] {
  return [
    [path.join(home, 'bin', 'st')],
    ['python3', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(target)}); ${CLI}`],
  ];
}

function works(cmd: string[]): boolean {
  if (cmd[0] !== 'python3' && !fs.existsSync(cmd[0]!)) return false;
  if (cmd[0] === 'python3' && !fs.existsSync(target)) return false;
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), '--version'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 && r.stdout.includes(SCHEMATHESIS_VERSION);
}

function exec(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
  return r.status === 0;
}

const PIP = ['install', '--quiet', '--disable-pip-version-check', '--no-input', '-r', requirements];

/** The command that runs `st`, installing the pinned set into .tools/ the first time. */
export function resolveSchemathesis(log: (msg: string) => void = (m) => console.error(`[fuzz] ${m}`)): string[] {
  const found = candidates().find(works);
  if (found) return found;
  log(`installing schemathesis==${SCHEMATHESIS_VERSION} from PyPI into ${path.relative(root, home)}`);
  if (exec('python3', ['-m', 'venv', '--clear', home])) exec(path.join(home, 'bin', 'pip'), PIP);
  else exec('python3', ['-m', 'pip', ...PIP, '--target', target]);
  const installed = candidates().find(works);
  if (!installed)
    throw new Error(
      `schemathesis ${SCHEMATHESIS_VERSION} did not install into ${home}: python3 with pip (or venv) is needed`,
    );
  return installed;
}

export interface FuzzRun {
  /** Base URL of a running Orderly (loopback). */
  url: string;
  token: string;
  /** Label for this run's report files ("admin", "customer"). */
  label: string;
  reportDir: string;
  maxExamples: number;
  seed: number;
  /** Seconds; the run stops when it is spent. */
  maxTime: number;
  workers?: number;
  phases?: string;
}

export interface FuzzFigures {
  label: string;
  exitCode: number;
  /** HTTP requests schemathesis sent (from its HAR report). */
  requests: number;
  /** Responses by status code. */
  byStatus: Record<string, number>;
  serverErrors: number;
  /** Failed checks and errors, as schemathesis names them, with their counts (empty when the run passed). */
  failures: Record<string, number>;
  /** The end of schemathesis's own output, for the report when something failed. */
  tail: string;
}

/** Runs schemathesis once and reads its summary and HAR report back into figures. */
export async function runSchemathesis(st: string[], run: FuzzRun): Promise<FuzzFigures> {
  fs.mkdirSync(run.reportDir, { recursive: true });
  const har = path.join(run.reportDir, `${run.label}.har`);
  const args = [
    '--config-file',
    path.join(__dirname, 'schemathesis.toml'),
    'run',
    `${run.url}/openapi.json`,
    '--url',
    run.url,
    '--header',
    `Authorization: Bearer ${run.token}`,
    '--checks',
    FUZZ_CHECKS.join(','),
    '--max-examples',
    String(run.maxExamples),
    '--seed',
    String(run.seed),
    '--max-time',
    String(run.maxTime),
    '--workers',
    // One worker: schemathesis's generation in parallel threads trips a CPython 3.11 ast.parse race ("AST
    // constructor recursion depth mismatch") inside Hypothesis, reported as a runtime error.
    String(run.workers ?? 1),
    '--request-timeout',
    '30',
    '--continue-on-failure',
    '--suppress-health-check',
    'all',
    '--report',
    'har',
    '--report-har-path',
    har,
    '--output-truncate',
    'true',
    '--warnings',
    'off',
    ...(run.phases ? ['--phases', run.phases] : []),
  ];
  let output = '';
  const exitCode = await new Promise<number>((resolve, reject) => {
    // Its working directory is the report folder: schemathesis keeps its example database (.schemathesis/) there.
    const child = spawn(st[0]!, [...st.slice(1), ...args], {
      cwd: run.reportDir,
      env: { ...process.env, NO_COLOR: '1', COLUMNS: '120' },
    });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), (run.maxTime + 300) * 1000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve(code ?? 1);
    });
  });
  fs.writeFileSync(path.join(run.reportDir, `${run.label}.log`), output);
  const byStatus: Record<string, number> = {};
  let requests = 0;
  if (fs.existsSync(har)) {
    const entries = (
      JSON.parse(fs.readFileSync(har, 'utf8')) as { log: { entries: { response: { status: number } }[] } }
    ).log.entries;
    requests = entries.length;
    for (const e of entries) byStatus[e.response.status] = (byStatus[e.response.status] ?? 0) + 1;
  }
  // Its summary names each failed check with a count ("❌ ST202 Schema-valid request rejected: 7") and errors.
  const failures: Record<string, number> = {};
  for (const m of output.matchAll(/(?:❌|🚫) (ST\d+ [^:\n]+|[A-Za-z][^:\n]*error[^:\n]*): (\d+)/gi))
    failures[m[1]!] = Number(m[2]);
  const serverErrors = Object.entries(byStatus)
    .filter(([s]) => Number(s) >= 500)
    .reduce((a, [, n]) => a + n, 0);
  return {
    label: run.label,
    exitCode,
    requests,
    byStatus,
    serverErrors,
    failures,
    tail: output.split('\n').slice(-80).join('\n'),
  };
}
