/**
 * Every recorded checkout history replays against the current workflow code: a non-deterministic change fails here.
 * Histories recorded since payload encryption are encrypted; they replay with the keys they were written with.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { readHistoryFile } from '../../scripts/history-file';
import { ENCRYPTED_ENCODING } from '../../lib/payload-codec';
import { replayOptions } from '../../workers/worker';
import { installTestRuntime } from '../support/logs';
import { FIXTURE_PAYLOAD_KEYS } from '../support/payload-keys';

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
      // Recorded with search attributes and the operator's retry of a failed compensation.
      'void-failed-retried',
      'refund-failed-in-window-retried',
      // Recorded before search attributes: they replay down its patched() branch.
      'pre-index-success',
      'pre-index-three-d-secure',
      'pre-index-temporal-cancel',
      'pre-index-temporal-cancel-in-window',
      // Encrypted (test/security/encryption.test.ts): under the development key, and across a key rotation.
      'encrypted-success',
      'encrypted-key-rotation',
      // The webhook workflows (test/webhooks/auto-disable.test.ts): a dispatcher that disabled its subscription, and
      // an admin's redelivery.
      'webhook-dispatcher-auto-disabled',
      'webhook-redeliver',
      // Recorded at version 3, before local activities (the ones above without a prefix are version 4's).
      'v3-success',
      'v3-decline',
      'v3-out-of-stock',
      'v3-cancel',
      'v3-confirmation-timeout',
      'v3-capture-failure-refund',
      'v3-capture-failure-void',
      'v3-refund',
      'v3-three-d-secure',
      'v3-void-failed-retried',
      'v3-refund-failed-in-window-retried',
      'v3-temporal-cancel',
      'v3-temporal-cancel-in-window',
    ]),
  );
});

test('all recorded histories replay without a non-determinism error', async () => {
  const options = replayOptions(FIXTURE_PAYLOAD_KEYS, process.env.ORDERLY_WORKFLOW_BUNDLE);
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

/** Every payload's metadata and data in an exported history (protobuf JSON: bytes are base64). */
function payloadsIn(value: unknown): { encoding: string; data: string }[] {
  if (!value || typeof value !== 'object') return [];
  const v = value as { metadata?: { encoding?: string }; data?: string };
  if (v.metadata?.encoding) {
    const decode = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');
    return [{ encoding: decode(v.metadata.encoding), data: decode(v.data) }];
  }
  return Object.values(value).flatMap(payloadsIn);
}

test('the encrypted fixtures hold no personal data and replay only with their key', async () => {
  const read = (name: string) => JSON.parse(fs.readFileSync(path.join(DIR, `checkout-${name}.json`), 'utf8'));
  const email = 'ada@example.com';
  // A plaintext recording shows what the check looks for; the encrypted ones have none of it.
  expect(payloadsIn(read('v3-success').events).some((p) => p.data.includes(email))).toBe(true);
  for (const name of ['encrypted-success', 'encrypted-key-rotation']) {
    const payloads = payloadsIn(read(name).events.map((e: Record<string, unknown>) => ({ ...e, searchAttributes: 0 })));
    expect(payloads.length).toBeGreaterThan(10);
    expect(new Set(payloads.map((p) => p.encoding))).toEqual(new Set([ENCRYPTED_ENCODING]));
    expect(payloads.filter((p) => p.data.includes(email))).toEqual([]);
  }

  const stranger = { activeId: 'stranger', keys: [{ id: 'stranger', key: randomBytes(32) }] };
  const history = readHistoryFile(path.join(DIR, 'checkout-encrypted-success.json'));
  await expect(
    Worker.runReplayHistory(replayOptions(stranger, process.env.ORDERLY_WORKFLOW_BUNDLE), history, 'no-key'),
  ).rejects.toThrow(/payload encrypted with key .*dev-not-secret.*, which is not in PAYLOAD_KEYS/);
});
