/**
 * `make build`: the production build in dist/, run with plain node: the compiled JavaScript (tsc), the SQL migrations
 * beside dist/db/migrate.js, and the prebuilt workflow bundle (dist/workflow-bundle.js) the compiled worker runs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildWorkflowBundle } from './build-workflow-bundle';

const root = path.resolve(__dirname, '..');

/** The production entry points, relative to the build's folder (the Dockerfile and `make cluster` run these). */
export const ENTRY_POINTS = {
  api: 'api/main.js',
  worker: 'workers/main.js',
  migrate: 'db/migrate.js',
  seed: 'db/seed.js',
  token: 'scripts/token.js',
  workflowBundle: 'workflow-bundle.js',
} as const;

export interface BuildOptions {
  /** Where to write the build (default dist/). */
  outDir?: string;
  /** An already built workflow bundle to copy instead of bundling again (tests reuse the one global setup built). */
  workflowBundle?: string;
  /** false: emit without type-checking (tsc --noCheck, same output), where `make test` has type-checked the tree. */
  typecheck?: boolean;
}

export async function build(opts: BuildOptions = {}): Promise<string> {
  const outDir = path.resolve(opts.outDir ?? path.join(root, 'dist'));
  fs.rmSync(outDir, { recursive: true, force: true });
  const tsc = spawnSync(
    process.execPath,
    [
      require.resolve('typescript/bin/tsc'),
      '-p',
      path.join(root, 'tsconfig.build.json'),
      '--outDir',
      outDir,
      ...(opts.typecheck === false ? ['--noCheck'] : []),
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 },
  );
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${tsc.status ?? tsc.signal})`);
  fs.cpSync(path.join(root, 'db', 'migrations'), path.join(outDir, 'db', 'migrations'), { recursive: true });
  const bundle = path.join(outDir, ENTRY_POINTS.workflowBundle);
  if (opts.workflowBundle) fs.copyFileSync(opts.workflowBundle, bundle);
  else await buildWorkflowBundle(bundle);
  const missing = Object.values(ENTRY_POINTS).filter((p) => !fs.existsSync(path.join(outDir, p)));
  if (missing.length) throw new Error(`the build in ${outDir} lacks ${missing.join(', ')}`);
  return outDir;
}

if (require.main === module) {
  // tsx scripts/build.ts [--out-dir dir] [--workflow-bundle prebuilt.js] [--no-typecheck]
  const { values } = parseArgs({
    options: {
      'out-dir': { type: 'string' },
      'workflow-bundle': { type: 'string' },
      'no-typecheck': { type: 'boolean', default: false },
    },
  });
  build({ outDir: values['out-dir'], workflowBundle: values['workflow-bundle'], typecheck: !values['no-typecheck'] })
    .then((outDir) => console.log(`production build written to ${path.relative(process.cwd(), outDir) || '.'}`))
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
