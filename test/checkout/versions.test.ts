/**
 * Checkout versions (CHECKOUT_VERSION): the API stamps the version on what it starts, and every checkout, with or
 * without a version, notifies in-line with no patch marker and no notifyOrder child. The unversioned patch path was
 * retired on 2026-11-30; an older API's start must not bring it back.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  CHECKOUT_VERSION,
  CHECKOUT_WORKFLOW_TYPE,
  checkoutWorkflowId,
  notifyWorkflowId,
  type CheckoutInput,
} from '../../contract';
import { EncryptionCodec } from '../../lib/payload-codec';
import type { Harness } from '../support/harness';
import {
  checkoutInput,
  checkoutSuite,
  events,
  localActivityType,
  placeOrder,
  seedCart,
  seedProduct,
  shopper,
  stepsOf,
} from './helpers';

let h: Harness;
const book = checkoutSuite({ env: { CANCELLATION_WINDOW: '1s' } }, (started) => (h = started));

/** What the workflow's history says about how it notified. */
async function shape(orderId: string) {
  const history = await h.client.workflow.getHandle(checkoutWorkflowId(orderId)).fetchHistory();
  const evs = history.events ?? [];
  // The history holds the input encrypted (docs/security.md): decrypt it as the worker does.
  const [started] = await new EncryptionCodec(h.config.payloadKeys).decode([
    evs[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!,
  ]);
  return {
    version: (JSON.parse(Buffer.from(started!.data!).toString('utf8')) as CheckoutInput).version,
    // Markers other than local activities' results (a patch would record one).
    markers: evs.filter((e) => e.markerRecordedEventAttributes && !localActivityType(e)).length,
    localActivities: evs.filter((e) => localActivityType(e)).length,
    searchAttributeUpserts: evs.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length,
    childWorkflows: evs.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length,
    activities: evs.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
    steps: stepsOf(evs),
  };
}

/** Starts a checkout as an older API did, with the given input version, and waits for its confirmed result. */
async function startAsOlderApi(version: number | undefined): Promise<string> {
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 2 });
  const cartId = await seedCart(h, who.id, [{ productId: p, quantity: 1 }]);
  const input = checkoutInput(who.id, cartId, {
    paymentConfirmationTimeout: h.config.payment.confirmationTimeout,
    cancellationWindow: h.config.cancellationWindow,
    version,
  });
  const handle = await h.client.workflow.start(CHECKOUT_WORKFLOW_TYPE, {
    taskQueue: h.taskQueue,
    workflowId: checkoutWorkflowId(input.orderId),
    args: [input],
  });
  expect(await handle.result()).toMatchObject({ status: 'confirmed', paymentState: 'captured' });
  return input.orderId;
}

/** The retired path started an abandoned notifyOrder workflow under this id; none may exist. */
async function expectNoNotifyOrder(orderId: string) {
  await expect(
    h.client.workflow.getHandle(notifyWorkflowId(orderId, 'order_confirmed')).describe(),
  ).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

test('a checkout the API starts carries the version, publishes its search attributes, runs its steps as local activities and notifies in-line with no patch marker', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 2 });
  const orderId = await placeOrder(h, who, p);
  expect(await h.client.workflow.getHandle(checkoutWorkflowId(orderId)).result()).toMatchObject({
    status: 'confirmed',
  });
  const got = await shape(orderId);
  // Version 3 on publishes the order's search attributes (created, confirmed), still without a patch marker; version 4
  // runs every step of a successful checkout as a local activity: a marker each, no activity task.
  expect(got).toMatchObject({ version: CHECKOUT_VERSION, markers: 0, searchAttributeUpserts: 2, childWorkflows: 0 });
  expect(got.activities).toEqual([]);
  expect(got.steps).toEqual([
    'createOrder',
    'reserveInventory',
    'authorizePayment',
    'capturePayment',
    'confirmOrder',
    'planOrderNotification',
    'sendOrderNotification',
  ]);
  expect(await events(h, orderId)).toEqual(expect.arrayContaining(['order.confirmed', 'notification.sent']));
  await expectNoNotifyOrder(orderId);
});

test('a checkout started without a version (as an older API did) also notifies in-line, with no marker and no child', async () => {
  const orderId = await startAsOlderApi(undefined);
  const got = await shape(orderId);
  expect(got).toMatchObject({
    version: undefined,
    markers: 0,
    localActivities: 0,
    searchAttributeUpserts: 0,
    childWorkflows: 0,
  });
  expect(got.activities).toEqual(expect.arrayContaining(['planOrderNotification', 'sendOrderNotification']));
  expect(await events(h, orderId)).toEqual(expect.arrayContaining(['order.confirmed', 'notification.sent']));
  await expectNoNotifyOrder(orderId);
});

test('a version-3 checkout (started by an API a version behind) runs its steps as regular activities, as recorded', async () => {
  const got = await shape(await startAsOlderApi(3));
  expect(got).toMatchObject({ version: 3, markers: 0, localActivities: 0, searchAttributeUpserts: 2 });
  expect(got.activities).toEqual(got.steps);
  expect(got.activities).toEqual(expect.arrayContaining(['createOrder', 'authorizePayment', 'sendOrderNotification']));
});
