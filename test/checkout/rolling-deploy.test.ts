/**
 * Rolling deploy of workflow code with Worker Versioning: checkouts waiting for 3-D Secure under build A keep going
 * when build B (a changed workflow bundle) becomes current and A's worker stops. They finish on B, replaying A's
 * history without B's guarded change; a checkout started after the switch runs B's change.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { buildNextBundle } from '../../scripts/chaos/bundles';
import { describeDeployment, setCurrentVersion } from '../../scripts/chaos/deployment';
import { createWorker, versioningOptions } from '../../workers/worker';
import { PAYMENT_CONFIRMED_SIGNAL, checkoutWorkflowId, type CheckoutResult } from '../../contract';
import { startHarness, type Harness } from '../support/harness';
import { localActivityType, placeOrder, seedProduct, shopper, waitForStatus, type StockBook } from './helpers';

jest.setTimeout(180_000);

let h: Harness;
let connection: NativeConnection;
let nextBundle: string;
const deploymentName = `rolling-${randomUUID().slice(0, 8)}`;
const book: StockBook = new Map();

beforeAll(async () => {
  h = await startHarness({ worker: false, env: { CANCELLATION_WINDOW: '1s' } });
  connection = await NativeConnection.connect({ address: process.env.ORDERLY_TEST_TEMPORAL_ADDRESS! });
  nextBundle = await buildNextBundle(path.join(process.env.ORDERLY_TEST_TMP!, `${deploymentName}-next.js`));
});

afterAll(async () => {
  await connection?.close();
  await h?.close();
});

async function startVersioned(buildId: string, bundle: string): Promise<{ worker: Worker; stop: () => Promise<void> }> {
  const worker = await createWorker({
    connection,
    namespace: h.config.temporal.namespace,
    taskQueue: h.taskQueue,
    deps: h.deps,
    workflowBundlePath: bundle,
    extra: {
      ...versioningOptions({ name: deploymentName, buildId, workflowBundlePath: undefined }),
      shutdownGraceTime: '2s',
    },
  });
  const running = worker.run();
  return {
    worker,
    stop: async () => {
      worker.shutdown();
      await running;
    },
  };
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A marker that is not a local activity's result: B's guarded change records one (a patch). */
const isPatchMarker = (e: HistoryEvent) => Boolean(e.markerRecordedEventAttributes) && !localActivityType(e);

async function historyOf(orderId: string): Promise<HistoryEvent[]> {
  return (await h.client.workflow.getHandle(checkoutWorkflowId(orderId)).fetchHistory()).events ?? [];
}

/** The build of each completed workflow task, in order. */
const taskBuilds = (events: HistoryEvent[]) =>
  events.flatMap((e) => {
    const a = e.workflowTaskCompletedEventAttributes;
    return a ? [a.deploymentVersion?.buildId ?? a.workerDeploymentVersion ?? 'unversioned'] : [];
  });

test('checkouts in flight move to the new build and finish; new checkouts run its change', async () => {
  const a = await startVersioned('a', process.env.ORDERLY_WORKFLOW_BUNDLE!);
  await setCurrentVersion(h.client, deploymentName, 'a');
  const product = await seedProduct(h, book, { stock: 10 });

  // In flight across the deploy: each waits for its 3-D Secure confirmation.
  const inFlight: string[] = [];
  for (let i = 0; i < 3; i++) inFlight.push(await placeOrder(h, await shopper(h), product, 'tok_threeDSecureRequired'));
  for (const id of inFlight) await waitForStatus(h, id, ['awaiting_payment']);

  const b = await startVersioned('b', nextBundle);
  await setCurrentVersion(h.client, deploymentName, 'b');
  await a.stop();
  expect((await describeDeployment(h.client, deploymentName)).currentBuildId).toBe('b');

  for (const id of inFlight) {
    await h.client.workflow.getHandle(checkoutWorkflowId(id)).signal(PAYMENT_CONFIRMED_SIGNAL, {});
  }
  const after = await placeOrder(h, await shopper(h), product, 'tok_visa');
  const results = await Promise.all(
    [...inFlight, after].map(
      (id) => h.client.workflow.getHandle(checkoutWorkflowId(id)).result() as Promise<CheckoutResult>,
    ),
  );
  expect(results.map((r) => r.status)).toEqual(['confirmed', 'confirmed', 'confirmed', 'confirmed']);

  for (const id of inFlight) {
    const events = await historyOf(id);
    const builds = taskBuilds(events);
    // Started on A, finished on B, with no failed workflow task (B replayed A's history) and without B's change.
    expect(builds[0]).toBe('a');
    expect(builds.at(-1)).toBe('b');
    expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toHaveLength(0);
    expect(events.filter(isPatchMarker)).toHaveLength(0);
    const memo = (await h.client.workflow.getHandle(checkoutWorkflowId(id)).describe()).memo ?? {};
    expect(memo.startedOnBuild).toBeUndefined();
  }

  const events = await historyOf(after);
  expect(new Set(taskBuilds(events))).toEqual(new Set(['b']));
  expect(events.filter(isPatchMarker)).toHaveLength(1);
  expect((await h.client.workflow.getHandle(checkoutWorkflowId(after)).describe()).memo).toMatchObject({
    startedOnBuild: 'next',
  });
  await b.stop();
});
