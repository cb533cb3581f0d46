/** Every recorded checkout history replays against the current workflow code: a non-deterministic change fails here. */
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { parseHistory, readHistoryFile } from '../../scripts/history-file';
import { CHECKOUT_VERSION } from '../../workflows/types';

const DIR = path.resolve(__dirname, '..', 'fixtures', 'histories');
const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort() : [];

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
    expect.arrayContaining(['success', 'decline', 'out-of-stock', 'cancel', 'confirmation-timeout', 'capture-failure-refund', 'refund', 'three-d-secure']),
  );
});

test('unversioned histories are kept while the patch is: v1 (notifyOrder children) and v2 (patch marker)', () => {
  const names = files.map((f) => f.replace(/^checkout-|\.json$/g, ''));
  expect(names).toEqual(expect.arrayContaining(['v1-success', 'v1-decline', 'v1-cancel', 'v1-refund', 'v1-three-d-secure']));
  expect(names).toEqual(expect.arrayContaining(['v2-success', 'v2-decline', 'v2-cancel', 'v2-refund', 'v2-three-d-secure']));
});

test('all recorded histories replay without a non-determinism error', async () => {
  const bundle = process.env.ORDERLY_WORKFLOW_BUNDLE;
  const options = bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('../../workflows') };
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

/** A recorded history whose checkout input says it was started with `version` (what CheckoutInput.version is now). */
function withVersion(file: string, version: number) {
  const json = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'));
  const payload = json.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
  const input = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
  expect(input.version).toBeUndefined();
  payload.data = Buffer.from(JSON.stringify({ ...input, version })).toString('base64');
  return parseHistory(json);
}

async function replayErrors(histories: Array<{ workflowId: string; history: ReturnType<typeof parseHistory> }>) {
  const errors: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath: require.resolve('../../workflows') }, histories)) {
    if (result.error) errors.push(`${result.workflowId}: ${String(result.error)}`);
  }
  return errors;
}

test('during a rollout, a versioned checkout run by a worker of the previous release (patch marker recorded) replays', async () => {
  // The previous release ignored `version`: a checkout the new API started on its worker has the v2 shape.
  const rollout = ['success', 'refund', 'three-d-secure', 'decline'].map((name) => ({
    workflowId: `rollout-${name}`,
    history: withVersion(`checkout-v2-${name}.json`, CHECKOUT_VERSION),
  }));
  expect(await replayErrors(rollout)).toEqual([]);
});

test('the version decides the path: a child-notification history claiming version 2 does not replay', async () => {
  const errors = await replayErrors([{ workflowId: 'v1-as-versioned', history: withVersion('checkout-v1-success.json', CHECKOUT_VERSION) }]);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/nondetermin/i);
});
