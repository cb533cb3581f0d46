/** The two workflow bundles the chaos runs deploy: today's code, and the next build (with rollout/next-build.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/tracing';

export interface Bundles {
  current: string;
  next: string;
}

async function bundle(file: string, interceptors: string[]): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    // The tracing interceptors every production bundle carries (scripts/build-workflow-bundle.ts), then the build's own.
    workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES, ...interceptors],
    logger: new DefaultLogger('WARN'),
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, code);
  return file;
}

/** The next build: today's workflows with the rollout interceptor, a change that needs its patched() guard. */
export function buildNextBundle(file: string): Promise<string> {
  return bundle(file, [require.resolve('./rollout/next-build')]);
}

export async function buildBundles(dir: string): Promise<Bundles> {
  return {
    current: await bundle(path.join(dir, 'workflow-bundle-current.js'), []),
    next: await buildNextBundle(path.join(dir, 'workflow-bundle-next.js')),
  };
}
