/**
 * notifyOrder and resendNotification histories: each scenario's fresh history replays against the current code, and
 * with RECORD_HISTORIES=1 it is saved (as `temporal workflow show --output json` prints it) to test/fixtures/histories/,
 * where the replay test checks it on every run from then on.
 */
import { Worker } from '@temporalio/worker';
import { replayOptions } from '../../workers/worker';
import type { Harness } from '../support/harness';
import type { TestSmtp } from '../support/smtp';
import { saveHistoryFixture } from '../support/temporal-cli';
import { waitFor } from '../support/wait';
import { mailSuite, rowsFor, runNotify, seedOrder, setPrefs } from './fixtures';

let smtp: TestSmtp;
let h: Harness;
// No push webhook configured: a push preference is skipped, which the history records as a plain plan result.
mailSuite((started, harness) => {
  smtp = started;
  h = harness;
});

async function replayAndMaybeRecord(workflowId: string, name: string) {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  const bundle = process.env.ORDERLY_WORKFLOW_BUNDLE;
  await Worker.runReplayHistory(replayOptions(h.config.payloadKeys, bundle), history, workflowId);
  if (!process.env.RECORD_HISTORIES) return;
  saveHistoryFixture(workflowId, `notify-${name}.json`);
}

test('notifyOrder: sent after an SMTP outage, with a skipped channel', async () => {
  const { orderId, customerId } = await seedOrder(h.db.db);
  await setPrefs(h.db.db, customerId, { channels: ['email', 'push'], pushToken: 'tok' });
  await smtp.stop();
  const workflowId = `notify-history-sent-${orderId}`;
  const run = runNotify(h, orderId, 'order_confirmed', workflowId);
  await waitFor(
    'a failed email attempt',
    () => rowsFor(h.db.db, orderId),
    (rows) => Boolean(rows.find((r) => r.channel === 'email')?.lastError),
    10_000,
  );
  await smtp.start();
  await expect(run).resolves.toEqual({ email: 'sent' });
  await replayAndMaybeRecord(workflowId, 'sent-after-outage');
});

test('notifyOrder: permanent refusal recorded as failed', async () => {
  const { orderId } = await seedOrder(h.db.db);
  smtp.rejectCode = 550;
  const workflowId = `notify-history-failed-${orderId}`;
  try {
    await expect(runNotify(h, orderId, 'payment_failed', workflowId)).resolves.toEqual({ email: 'failed' });
  } finally {
    smtp.rejectCode = undefined;
  }
  await replayAndMaybeRecord(workflowId, 'failed');
});

test('resendNotification: a new generation through the same activity', async () => {
  const { orderId } = await seedOrder(h.db.db);
  await runNotify(h, orderId);
  const [row] = await rowsFor(h.db.db, orderId);
  const res = await h.call('POST', `/notifications/${row!.id}/resend`, { token: await h.token('admin') });
  expect(res.status).toBe(202);
  await expect(h.client.workflow.getHandle(res.body.workflowId).result()).resolves.toBe('sent');
  await replayAndMaybeRecord(res.body.workflowId, 'resend');
});
