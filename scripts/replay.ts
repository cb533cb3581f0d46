/**
 * `npm run replay -- <history.json> [...]`: replays histories exported with `temporal workflow show --output json`
 * against the current workflow code; exits 1 on a non-determinism (or any replay) error.
 */
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { tracingWorkerOptions, WORKFLOW_INTERCEPTOR_MODULES } from '../workers/tracing';
import { readHistoryFile } from './history-file';

async function main() {
  const files = process.argv.slice(2).filter((a) => a !== '--');
  if (!files.length) {
    console.error('usage: npm run replay -- <history.json> [more.json ...]');
    process.exit(2);
  }
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const histories = files.map((f) => ({ workflowId: path.basename(f, '.json'), history: readHistoryFile(f) }));
  let failed = 0;
  // With the workflow interceptors the bundles carry: traced runs replay down the traced path.
  const options = {
    workflowsPath: require.resolve('../workflows'),
    ...tracingWorkerOptions(undefined, WORKFLOW_INTERCEPTOR_MODULES),
  };
  for await (const r of Worker.runReplayHistories(options, histories)) {
    if (r.error) {
      failed++;
      console.error(`FAIL ${r.workflowId}: ${r.error.message}`);
    } else {
      console.log(`ok   ${r.workflowId}`);
    }
  }
  console.log(`${histories.length - failed}/${histories.length} histories replayed cleanly`);
  process.exit(failed ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
