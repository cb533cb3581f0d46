/** Every recorded checkout history replays against the current workflow code: a non-deterministic change fails here. */
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { readHistoryFile } from '../../scripts/history-file';

const DIR = path.resolve(__dirname, '..', 'fixtures', 'histories');
const files = fs.existsSync(DIR)
  ? fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
  : [];

beforeAll(() => {
  // Replay workers log every state change at INFO; only warnings belong in the test output.
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // A runtime is already installed in this jest worker (by a harness): its logger is already quiet.
  }
});

test('the fixtures cover every checkout path', () => {
  const names = files.map((f) => f.replace(/^checkout-|\.json$/g, ''));
  expect(names).toEqual(
    expect.arrayContaining([
      'success',
      'decline',
      'out-of-stock',
      'cancel',
      'confirmation-timeout',
      'capture-failure-refund',
      'refund',
      'three-d-secure',
      'void-failed',
      'refund-failed-in-window',
      'temporal-cancel',
      'temporal-cancel-in-window',
      // Recorded by the checkout before the guarded compensation: they replay down its patched() branches.
      'pre-guard-bug-compensated',
      'pre-guard-void-failed',
      'pre-guard-refund-failed-in-window',
      'pre-guard-temporal-cancel-in-window',
    ]),
  );
});

test('all recorded histories replay without a non-determinism error', async () => {
  const bundle = process.env.ORDERLY_WORKFLOW_BUNDLE;
  const options = bundle
    ? { workflowBundle: { codePath: bundle } }
    : { workflowsPath: require.resolve('../../workflows') };
  const histories = files.map((f) => ({
    workflowId: f.replace(/\.json$/, ''),
    history: readHistoryFile(path.join(DIR, f)),
  }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(options, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
  }
  expect(failures).toEqual([]);
  expect(histories.length).toBe(files.length);
});
