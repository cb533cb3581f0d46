/** How the cluster runs Orderly's own processes: the one place that names what an API or worker replica runs. */
import path from 'node:path';
import { buildWorkflowBundle } from '../build-workflow-bundle';
import { root } from './tools';

export type OrderlyProgram = 'api' | 'worker';

/**
 * The command line of an API or worker replica. Today TypeScript through tsx on this Node; when the production
 * build exists (dist/ on the provisioned Node LTS), only this function changes.
 */
export function orderlyCommand(program: OrderlyProgram): { command: string; args: string[] } {
  const entry = program === 'api' ? 'api/main.ts' : 'workers/main.ts';
  return { command: process.execPath, args: ['--import', 'tsx', path.join(root, entry)] };
}

/**
 * What must exist before the replicas start: today the prebuilt workflow bundle (dist/workflow-bundle.js), which
 * every worker loads instead of bundling the sources itself. With the production build, its output.
 */
export async function prepareOrderly(): Promise<void> {
  await buildWorkflowBundle();
}
