/** Every recorded checkout history replays against the current workflow code: a non-deterministic change fails here. */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { readHistoryFile } from '../../scripts/history-file';
import { tracingWorkerOptions, WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/tracing';
import { installTestRuntime } from '../support/logs';

const DIR = path.resolve(__dirname, '..', 'fixtures', 'histories');
const files = fs.existsSync(DIR)
  ? fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
  : [];

// Replay workers log every state change: into the test file's log, not the run's output.
beforeAll(() => installTestRuntime());

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
    ? { workflowBundle: { codePath: bundle }, ...tracingWorkerOptions(undefined, []) }
    : {
        workflowsPath: require.resolve('../../workflows'),
        ...tracingWorkerOptions(undefined, WORKFLOW_INTERCEPTOR_MODULES),
      };
  const histories = files.map((f) => ({
    workflowId: f.replace(/\.json$/, ''),
    history: readHistoryFile(path.join(DIR, f)),
  }));
  const replayed: string[] = [];
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(options, histories)) {
    replayed.push(result.workflowId);
    if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
  }
  expect(failures).toEqual([]);
  // Every fixture was replayed, not only the ones before a stop.
  expect(replayed.sort()).toEqual(files.map((f) => f.replace(/\.json$/, '')).sort());
  expect(replayed.length).toBeGreaterThan(0);
});
