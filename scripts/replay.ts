/**
 * `npm run replay -- <history.json> [...]`: replays histories exported with `temporal workflow show --output json`
 * against the current workflow code; exits 1 on a non-determinism (or any replay) error. Encrypted histories need the
 * keys they were written with in PAYLOAD_KEYS (the development key when unset).
 */
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { loadConfigOrExit } from '../lib/entry';
import { replayOptions } from '../workers/worker';
import { readHistoryFile } from './history-file';

async function main() {
  const files = process.argv.slice(2).filter((a) => a !== '--');
  if (!files.length) {
    console.error('usage: npm run replay -- <history.json> [more.json ...]');
    process.exit(2);
  }
  const config = loadConfigOrExit('replay');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const histories = files.map((f) => ({ workflowId: path.basename(f, '.json'), history: readHistoryFile(f) }));
  let failed = 0;
  for await (const r of Worker.runReplayHistories(replayOptions(config.payloadKeys), histories)) {
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
