/**
 * Provisions the programs `make cluster` runs, from package registries only and cached per version under .tools/:
 * the Temporal server and temporal-sql-tool, the Web UI server and Mailpit built with `go install` through the Go
 * module proxy, HAProxy from Debian. A piece that cannot be obtained is named with how to provide it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { resolveTemporalCli } from '../temporal-cli';

/** Pinned versions; docker-compose.yml names the same (test/foundation/compose.test.ts checks it). */
export const VERSIONS = {
  /** The server inside Temporal CLI 1.9.1's dev server, which `make start` and the tests run. */
  temporalServer: '1.32.0',
  /** The Web UI of that same dev server. */
  temporalUi: '2.54.1',
  mailpit: '1.27.11',
  /** Server 1.30+ needs a newer Go than Debian's; Go fetches this toolchain through the module proxy. */
  goToolchain: 'go1.26.10',
  /** Not built here: the machine's (Debian 12) series, which compose's images pin to a release of. */
  haproxySeries: '2.6',
  postgresMajor: '15',
  /** Stripe's API mock, which the Stripe provider's tests run (docs/payments.md). */
  stripeMock: '0.203.0',
} as const;

export const root = path.resolve(__dirname, '..', '..');
const toolsDir = path.join(root, '.tools');

export interface Tools {
  temporalServer: string;
  temporalSqlTool: string;
  uiServer: string;
  mailpit: string;
  haproxy: string;
  /** The Temporal CLI (operator commands), as `make start` finds it. */
  temporalCli: string;
}

export class ToolMissing extends Error {}

type Log = (msg: string) => void;

interface GoTool {
  name: string;
  /** Where it is cached: .tools/<dir>/<version>/<binary>. */
  dir: string;
  version: string;
  packages: { pkg: string; binary: string }[];
  probe: string[];
}

const GO_TOOLS: Record<'temporal' | 'ui' | 'mailpit' | 'stripeMock', GoTool> = {
  temporal: {
    name: 'Temporal server and temporal-sql-tool',
    dir: 'temporal-server',
    version: `v${VERSIONS.temporalServer}`,
    packages: [
      { pkg: 'go.temporal.io/server/cmd/server', binary: 'server' },
      { pkg: 'go.temporal.io/server/cmd/tools/sql', binary: 'sql' },
    ],
    probe: ['--version'],
  },
  ui: {
    name: 'Temporal Web UI server',
    dir: 'temporal-ui-server',
    version: `v${VERSIONS.temporalUi}`,
    packages: [{ pkg: 'github.com/temporalio/ui-server/v2/cmd/server', binary: 'server' }],
    probe: ['--version'],
  },
  mailpit: {
    name: 'Mailpit',
    dir: 'mailpit',
    version: `v${VERSIONS.mailpit}`,
    packages: [{ pkg: 'github.com/axllent/mailpit', binary: 'mailpit' }],
    probe: ['version', '--no-release-check'],
  },
  stripeMock: {
    name: 'stripe-mock',
    dir: 'stripe-mock',
    version: `v${VERSIONS.stripeMock}`,
    packages: [{ pkg: 'github.com/stripe/stripe-mock', binary: 'stripe-mock' }],
    probe: ['-version'],
  },
};

function runs(bin: string, args: string[]): boolean {
  if (!fs.existsSync(bin)) return false;
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0;
}

function goInstallCommand(tool: GoTool): string {
  const gobin = path.join(toolsDir, tool.dir, tool.version);
  return (
    `GOTOOLCHAIN=${VERSIONS.goToolchain} GOBIN=${gobin} go install ` +
    tool.packages.map((p) => `${p.pkg}@${tool.version}`).join(' ')
  );
}

/** Builds a Go tool once per version into .tools/; returns the path of each of its binaries. */
function goTool(tool: GoTool, log: Log): string[] {
  const gobin = path.join(toolsDir, tool.dir, tool.version);
  const bins = tool.packages.map((p) => path.join(gobin, p.binary));
  if (bins.every((b) => fs.existsSync(b)) && runs(bins[0]!, tool.probe)) return bins;
  if (spawnSync('go', ['version'], { timeout: 30_000 }).status !== 0) {
    throw new ToolMissing(
      `${tool.name} ${tool.version} is not built and Go is not installed.\n` +
        `  Install Go (Debian: apt-get install golang-go; any Go >= 1.21 fetches the ${VERSIONS.goToolchain} ` +
        `toolchain itself), then run make cluster again, or build it yourself:\n    ${goInstallCommand(tool)}`,
    );
  }
  const started = Date.now();
  log(`building ${tool.name} ${tool.version} with go install into ${path.relative(root, gobin)} (once per version)`);
  const r = spawnSync('go', ['install', ...tool.packages.map((p) => `${p.pkg}@${tool.version}`)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: gobin, GOTOOLCHAIN: VERSIONS.goToolchain, GOFLAGS: '-buildvcs=false' },
    timeout: 3_600_000,
  });
  if (r.status !== 0 || !bins.every((b) => fs.existsSync(b))) {
    throw new ToolMissing(
      `building ${tool.name} ${tool.version} failed (go install exited ${r.status ?? r.signal}).\n` +
        `  It needs the Go module proxy (GOPROXY) and about 10 CPU-minutes for the Temporal server. Retry with:\n` +
        `    ${goInstallCommand(tool)}`,
    );
  }
  log(`${tool.name} built in ${Math.round((Date.now() - started) / 1000)} s`);
  return bins;
}

/** HAProxy from PATH (or /usr/sbin), else from Debian's packages when this process may install them. */
export function haproxy(log: Log): string {
  const find = () =>
    [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin']
      .map((d) => path.join(d, 'haproxy'))
      .find((p) => runs(p, ['-v']));
  const found = find();
  if (found) return found;
  // As root directly, otherwise through passwordless sudo (CI machines); never prompts.
  const asRoot = (args: string[]) => (process.getuid?.() === 0 ? args : ['sudo', '-n', ...args]);
  const run = (args: string[]) => {
    const [cmd, ...rest] = asRoot(args);
    return (
      spawnSync(cmd!, rest, {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        timeout: 600_000,
      }).status === 0
    );
  };
  if (spawnSync('apt-get', ['--version'], { timeout: 10_000 }).status === 0) {
    log('installing haproxy from Debian packages');
    if (run(['apt-get', 'update', '-qq']) && run(['apt-get', 'install', '-y', '-qq', 'haproxy'])) {
      const installed = find();
      if (installed) return installed;
    }
  }
  throw new ToolMissing(
    'HAProxy is not installed and could not be installed. Install it (Debian/Ubuntu: sudo apt-get install haproxy; ' +
      'any HAProxy 2.4 or newer works) so that `haproxy` is on PATH.',
  );
}

/**
 * stripe-mock, built once per version into .tools/, and its bundled fixtures (copied from the module Go downloaded),
 * which the tests start it with after setting the states they need.
 */
export function stripeMock(log: Log = (m) => console.error(`[tools] ${m}`)): { binary: string; fixtures: string } {
  const [binary] = goTool(GO_TOOLS.stripeMock, log);
  const fixtures = path.join(path.dirname(binary!), 'fixtures3.json');
  if (!fs.existsSync(fixtures)) {
    const mod = `${GO_TOOLS.stripeMock.packages[0]!.pkg}@${GO_TOOLS.stripeMock.version}`;
    const r = spawnSync('go', ['mod', 'download', '-json', mod], {
      encoding: 'utf8',
      env: { ...process.env, GOTOOLCHAIN: VERSIONS.goToolchain, GOFLAGS: '-mod=mod' },
      timeout: 600_000,
    });
    const dir = r.status === 0 ? (JSON.parse(r.stdout) as { Dir?: string }).Dir : undefined;
    const source = dir && path.join(dir, 'embedded', 'openapi', 'fixtures3.json');
    if (!source || !fs.existsSync(source)) {
      throw new ToolMissing(`stripe-mock's fixtures could not be found: go mod download ${mod} failed: ${r.stderr}`);
    }
    fs.copyFileSync(source, fixtures);
  }
  return { binary: binary!, fixtures };
}

/** Finds or builds every program the cluster runs; throws ToolMissing naming the first one it cannot provide. */
export function provisionTools(log: Log = (m) => console.error(`[cluster tools] ${m}`)): Tools {
  const [temporalServer, temporalSqlTool] = goTool(GO_TOOLS.temporal, log);
  const [uiServer] = goTool(GO_TOOLS.ui, log);
  const [mailpit] = goTool(GO_TOOLS.mailpit, log);
  let temporalCli: string;
  try {
    temporalCli = resolveTemporalCli(log);
  } catch (err) {
    throw new ToolMissing(err instanceof Error ? err.message : String(err));
  }
  return {
    temporalServer: temporalServer!,
    temporalSqlTool: temporalSqlTool!,
    uiServer: uiServer!,
    mailpit: mailpit!,
    haproxy: haproxy(log),
    temporalCli,
  };
}

if (require.main === module) {
  try {
    if (process.argv[2] === 'stripe-mock') {
      const started = Date.now();
      console.log(`stripe-mock      ${stripeMock().binary} (${Date.now() - started} ms)`);
      process.exit(0);
    }
    const tools = provisionTools();
    for (const [name, bin] of Object.entries(tools)) console.log(`${name.padEnd(16)} ${bin}`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
