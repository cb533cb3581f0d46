/** How the cluster runs Orderly's own processes: the one place that names the program an API or worker replica runs. */
import path from 'node:path';
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
