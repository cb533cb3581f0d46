/**
 * Provisions the programs `make cluster` runs, from package registries only and cached per version under .tools/:
 * the Temporal server and temporal-sql-tool, the Web UI server and Mailpit built with `go install` through the Go
 * module proxy, HAProxy from Debian, Prometheus and promtool from Debian's package (unpacked into .tools/ when not
 * installed). A piece that cannot be obtained is named with how to provide it.
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
  /** Debian 12's Prometheus package (prometheus and promtool); compose runs prom/prometheus at its upstream version. */
  prometheusDeb: '2.42.0+ds-5+deb12u1',
  prometheus: '2.42.0',
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
  prometheus: PrometheusTools;
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

export interface PrometheusTools {
  prometheus: string;
  promtool: string;
  /** Its web UI's templates and static files (--web.local-assets): Debian builds the path /usr/share/... in. */
  webAssets: string;
}

/** The Prometheus series a binary prints in --version ("prometheus, version 2.42.0+ds ..."), or undefined. */
function prometheusVersion(bin: string): string | undefined {
  if (!fs.existsSync(bin)) return undefined;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? /version (\d+\.\d+\.\d+)/.exec(`${r.stdout}${r.stderr}`)?.[1] : undefined;
}

/**
 * Prometheus and promtool at VERSIONS.prometheus: installed (/usr/bin), else Debian's package unpacked into
 * .tools/prometheus/<version>/ (apt-get download and dpkg-deb -x: no root, nothing installed system-wide, a few
 * seconds). Debian's package only: a URL download is not allowed at run time.
 */
export function prometheusTools(log: Log): PrometheusTools {
  const installed = { prometheus: '/usr/bin/prometheus', promtool: '/usr/bin/promtool' };
  if (prometheusVersion(installed.prometheus) === VERSIONS.prometheus && prometheusVersion(installed.promtool))
    return { ...installed, webAssets: '/usr/share/prometheus/web/' };
  const dir = path.join(toolsDir, 'prometheus', VERSIONS.prometheusDeb);
  const tools = {
    prometheus: path.join(dir, 'usr/bin/prometheus'),
    promtool: path.join(dir, 'usr/bin/promtool'),
    webAssets: path.join(dir, 'usr/share/prometheus/web/'),
  };
  if (prometheusVersion(tools.prometheus) === VERSIONS.prometheus && prometheusVersion(tools.promtool)) return tools;
  const how =
    `  Install it (Debian 12: sudo apt-get install prometheus=${VERSIONS.prometheusDeb}), or unpack the package:\n` +
    `    apt-get download prometheus=${VERSIONS.prometheusDeb} && dpkg-deb -x prometheus_*.deb ${dir}`;
  if (spawnSync('apt-get', ['--version'], { timeout: 10_000 }).status !== 0)
    throw new ToolMissing(`Prometheus ${VERSIONS.prometheus} is not installed and apt-get is not available.\n${how}`);
  log(`unpacking Debian's prometheus ${VERSIONS.prometheusDeb} into ${path.relative(root, dir)} (once per version)`);
  fs.mkdirSync(toolsDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(toolsDir, '.prometheus-'));
  try {
    const download = (spec: string) =>
      spawnSync('apt-get', ['download', '-qq', spec], {
        cwd: tmp,
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 300_000,
      });
    // The pinned build, else Debian's current one of the same upstream version (a security rebuild replaces it).
    const fetched = () =>
      download(`prometheus=${VERSIONS.prometheusDeb}`).status === 0 || download('prometheus').status === 0;
    // A machine without package lists (a fresh container) gets them first, as root or through passwordless sudo.
    const updateLists = () => {
      const cmd = process.getuid?.() === 0 ? ['apt-get'] : ['sudo', '-n', 'apt-get'];
      return spawnSync(cmd[0]!, [...cmd.slice(1), 'update', '-qq'], { stdio: 'ignore', timeout: 600_000 }).status === 0;
    };
    if (!fetched() && !(updateLists() && fetched()))
      throw new ToolMissing(`apt-get download prometheus failed (no package lists? apt-get update).\n${how}`);
    const deb = fs.readdirSync(tmp).find((f) => f.endsWith('.deb'));
    const unpacked = path.join(tmp, 'x');
    if (!deb || spawnSync('dpkg-deb', ['-x', path.join(tmp, deb), unpacked], { timeout: 120_000 }).status !== 0)
      throw new ToolMissing(`unpacking ${deb ?? 'the prometheus package'} failed.\n${how}`);
    const got = prometheusVersion(path.join(unpacked, 'usr/bin/prometheus'));
    if (got !== VERSIONS.prometheus)
      throw new ToolMissing(`Debian's prometheus is ${got ?? 'unusable'}, not ${VERSIONS.prometheus}.\n${how}`);
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(unpacked, dir);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return tools;
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
    prometheus: prometheusTools(log),
    temporalCli,
  };
}

if (require.main === module) {
  try {
    const tools = provisionTools();
    for (const [name, bin] of Object.entries(tools))
      console.log(`${name.padEnd(16)} ${typeof bin === 'string' ? bin : bin.prometheus}`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
