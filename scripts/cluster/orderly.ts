/** How the cluster runs Orderly's own processes: the one place that names what an API or worker replica runs. */
import path from 'node:path';
import { build, ENTRY_POINTS } from '../build';
import { resolveNodeLts } from '../node-lts';
import { root } from './tools';

export type OrderlyProgram = 'api' | 'worker';

/**
 * The command line of an API or worker replica: the production build (`make build`, dist/) on the provisioned Node
 * LTS, as the Dockerfile runs it, never TypeScript through tsx.
 */
export function orderlyCommand(program: OrderlyProgram): { command: string; args: string[] } {
  const entry = program === 'api' ? ENTRY_POINTS.api : ENTRY_POINTS.worker;
  return { command: resolveNodeLts(), args: [path.join(root, 'dist', entry)] };
}

/**
 * What must exist before the replicas start: the production build in dist/ (compiled code, migrations and the
 * prebuilt workflow bundle every worker loads), and the Node LTS that runs it. Emitted without a second type check:
 * `make test` type-checks the tree.
 */
export async function prepareOrderly(): Promise<void> {
  resolveNodeLts();
  await build({ typecheck: false });
}
