/** The two workflow bundles the chaos runs deploy: today's code, and the next build (with rollout/next-build.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/worker';

export interface Bundles {
  current: string;
  next: string;
}

export async function buildBundles(dir: string): Promise<Bundles> {
  fs.mkdirSync(dir, { recursive: true });
  const write = async (file: string, interceptors: string[]) => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: interceptors,
      logger: new DefaultLogger('WARN'),
    });
    fs.writeFileSync(file, code);
    return file;
  };
  return {
    current: await write(path.join(dir, 'workflow-bundle-current.js'), []),
    next: await write(path.join(dir, 'workflow-bundle-next.js'), [require.resolve('./rollout/next-build')]),
  };
}
