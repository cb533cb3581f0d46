/**
 * The one compensation path: only activity failures, the workflow's own aborts and cancellations compensate (a bug
 * fails the workflow task instead); a compensation that runs out of retries is reported as it happened and does not
 * stop the others or fail the workflow (the checkout waits for an operator's retry instead); and the customer is told
 * what matches the cause.
 */
import { ApplicationFailure } from '@temporalio/common';
import { and, eq } from 'drizzle-orm';
import { orderEvents } from '../../db/schema';
import { RETRY_COMPENSATIONS_UPDATE, type CheckoutResult, type CheckoutStatus } from '../../contract';
import type { Harness } from '../support/harness';
import {
  checkoutHandle,
  checkoutSuiteReplacing,
  events,
  maybeRecordHistory,
  notified,
  orderRow,
  placeOrder,
  sandboxPaymentOf,
  seedProduct,
  shopper,
  stockOf,
  waitFor,
  waitForStatus,
} from './helpers';

let h: Harness;

/** How the replaced activities misbehave for the next order; every test starts from `real` everywhere. */
const modes = {
  /** `bug`: the authorization happens, but the workflow gets an answer it cannot read (its code throws a TypeError). */
  authorize: 'real' as 'real' | 'bug',
  reserve: 'real' as 'real' | 'down',
  capture: 'real' as 'real' | 'refused',
  confirm: 'real' as 'real' | 'down',
  /** `down`: the void or refund never reaches the provider, past every retry. */
  reverse: 'real' as 'real' | 'down',
};
beforeEach(() =>
  Object.assign(modes, { authorize: 'real', reserve: 'real', capture: 'real', confirm: 'real', reverse: 'real' }),
);

/** Retries are spent at once (non-retryable), as they would be after the policy's last attempt. */
const outOfRetries = (what: string) =>
  ApplicationFailure.nonRetryable(`${what}: still down after every retry`, 'Unavailable');

const book = checkoutSuiteReplacing(
  { CANCELLATION_WINDOW: '1h' },
  (real) => ({
    async authorizePayment(input) {
      const auth = await real.authorizePayment(input);
      return modes.authorize === 'bug' ? (undefined as unknown as typeof auth) : auth;
    },
    async reserveInventory(input) {
      if (modes.reserve === 'down') throw outOfRetries('inventory');
      return real.reserveInventory(input);
    },
    async capturePayment(input) {
      if (modes.capture === 'refused') throw outOfRetries('capture');
      return real.capturePayment(input);
    },
    async confirmOrder(input) {
      if (modes.confirm === 'down') throw outOfRetries('confirm');
      return real.confirmOrder(input);
    },
    async reversePayment(input) {
      if (modes.reverse === 'down') throw outOfRetries('payment provider');
      return real.reversePayment(input);
    },
  }),
  (started) => (h = started),
);

async function historyOf(orderId: string) {
  return (await checkoutHandle(h, orderId).fetchHistory()).events ?? [];
}

async function inWindow(orderId: string) {
  return waitFor(
    `order ${orderId} in its cancellation window`,
    () => checkoutHandle(h, orderId).query<CheckoutStatus>('status'),
    (s) => s.step === 'cancellation_window',
  );
}

/** Waits until the checkout holds a compensation that ran out of retries, for an operator's retry. */
async function waitingForRetry(orderId: string) {
  return waitFor(
    `order ${orderId} waiting for a retry of its failed compensation`,
    () => checkoutHandle(h, orderId).query<CheckoutStatus>('status'),
    (s) => (s.failedCompensations?.length ?? 0) > 0 && s.status !== 'pending',
  );
}

/** What an operator runs: `temporal workflow update execute --name retryCompensations`. */
const retry = (orderId: string) =>
  checkoutHandle(h, orderId).executeUpdate<CheckoutStatus, []>(RETRY_COMPENSATIONS_UPDATE);

async function awaitingPayment(orderId: string) {
  return waitFor(
    `order ${orderId} awaiting payment`,
    () => checkoutHandle(h, orderId).query<CheckoutStatus>('status'),
    (s) => s.step === 'awaiting_payment',
  );
}

test('a bug in workflow code (a TypeError) fails the workflow task and compensates nothing: the workflow stays running', async () => {
  modes.authorize = 'bug';
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 3 });
  const orderId = await placeOrder(h, who, p);
  const history = await waitFor(
    `a failed workflow task for ${orderId}`,
    () => historyOf(orderId),
    (evs) => evs.some((e) => e.workflowTaskFailedEventAttributes),
  );
  const failure = history.find((e) => e.workflowTaskFailedEventAttributes)!.workflowTaskFailedEventAttributes!.failure!;
  expect(failure.message).toMatch(/Cannot read properties of undefined/);
  const scheduled = history.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
  expect(scheduled).toEqual(['createOrder', 'reserveInventory', 'authorizePayment']);
  expect(history.some((e) => e.workflowExecutionFailedEventAttributes)).toBe(false);
  expect((await checkoutHandle(h, orderId).describe()).status.name).toBe('RUNNING');
  // Nothing was undone: the order waits, its stock held and its card authorized, for fixed code to replay it.
  expect(await orderRow(h, orderId)).toMatchObject({ status: 'pending', paymentStatus: 'authorized' });
  expect(await stockOf(h, p)).toBe(2);
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'authorized' });
  expect(await notified(h, orderId)).toEqual([]);
  await checkoutHandle(h, orderId).terminate('test over: the bug is not fixed in this bundle');
});

test('a void that runs out of retries waits, NeedsAttention, for an operator to retry it; stock and order are undone meanwhile', async () => {
  modes.capture = 'refused';
  modes.reverse = 'down';
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 3 });
  const orderId = await placeOrder(h, who, p);
  const waiting = await waitingForRetry(orderId);
  expect(waiting).toMatchObject({
    status: 'failed',
    step: 'compensating',
    paymentState: 'reversal_failed',
    failureReason: 'checkout_error',
    cancellable: false,
    needsAttention: true,
    failedCompensations: ['reversePayment'],
  });
  expect((await checkoutHandle(h, orderId).describe()).status.name).toBe('RUNNING');
  expect(await orderRow(h, orderId)).toMatchObject({ status: 'failed', paymentStatus: 'reversal_failed' });
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'authorized' });
  expect(await stockOf(h, p)).toBe(3);
  const types = await events(h, orderId);
  expect(types).not.toContain('payment.voided');
  expect(types.indexOf('compensation.failed')).toBeLessThan(types.indexOf('inventory.released'));
  expect(types.indexOf('inventory.released')).toBeLessThan(types.indexOf('order.failed'));
  const recorded = await h.db.db
    .select({ data: orderEvents.data })
    .from(orderEvents)
    .where(and(eq(orderEvents.orderId, orderId), eq(orderEvents.type, 'compensation.failed')));
  expect(recorded).toEqual([
    { data: { compensation: 'reversePayment', reason: 'checkout_error', error: expect.stringMatching(/still down/) } },
  ]);
  // The customer is not told "any hold has been released" while it is not.
  expect(await notified(h, orderId)).toEqual([]);

  // A retry while the provider is still down fails again, and the order keeps waiting.
  expect(await retry(orderId)).toMatchObject({
    paymentState: 'reversal_failed',
    failedCompensations: ['reversePayment'],
  });
  modes.reverse = 'real';
  expect(await retry(orderId)).toMatchObject({
    paymentState: 'voided',
    needsAttention: false,
    failedCompensations: [],
  });
  expect(await checkoutHandle(h, orderId).result()).toEqual<CheckoutResult>({
    orderId,
    status: 'failed',
    paymentState: 'voided',
    failureReason: 'checkout_error',
  });
  expect(await orderRow(h, orderId)).toMatchObject({ status: 'failed', paymentStatus: 'voided' });
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'voided' });
  // Told once the money is back, and only then.
  expect(await notified(h, orderId)).toEqual(['payment_failed']);
  await maybeRecordHistory(h, orderId, 'void-failed-retried');
});

test('the retry Update is refused while no compensation has failed', async () => {
  const who = await shopper(h);
  const orderId = await placeOrder(h, who, await seedProduct(h, book));
  await inWindow(orderId);
  await expect(retry(orderId)).rejects.toMatchObject({
    cause: { message: expect.stringMatching(/no failed compensation waiting for a retry/) },
  });
});

test('a refund that fails during a cancel in the window does not fail the workflow; the other compensations run, and a retry refunds', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 5, priceCents: 700 });
  const orderId = await placeOrder(h, who, p, 'tok_visa', 2);
  await inWindow(orderId);
  modes.reverse = 'down';
  const res = await h.call('POST', `/orders/${orderId}/cancel`, { token: who.token });
  expect(res).toMatchObject({ status: 200, body: { status: 'cancelled', paymentState: 'reversal_failed' } });
  expect(await waitingForRetry(orderId)).toMatchObject({
    status: 'cancelled',
    paymentState: 'reversal_failed',
    failureReason: 'cancelled_by_customer',
    needsAttention: true,
  });
  expect(await stockOf(h, p)).toBe(5);
  expect(await orderRow(h, orderId)).toMatchObject({ status: 'cancelled', paymentStatus: 'reversal_failed' });
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'captured', refundedCents: 0 });
  const types = await events(h, orderId);
  expect(types).toEqual(expect.arrayContaining(['compensation.failed', 'inventory.released', 'order.cancelled']));
  expect(types).not.toContain('payment.refunded');
  expect(types).not.toContain('order.refunded');
  expect(await notified(h, orderId)).toEqual(['order_confirmed']);

  modes.reverse = 'real';
  expect(await retry(orderId)).toMatchObject({ paymentState: 'refunded', needsAttention: false });
  expect(await checkoutHandle(h, orderId).result()).toMatchObject({
    status: 'cancelled',
    paymentState: 'refunded',
    failureReason: 'cancelled_by_customer',
  });
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'refunded', refundedCents: 1400 });
  expect(await notified(h, orderId)).toEqual(['order_confirmed', 'order_refunded']);
  await maybeRecordHistory(h, orderId, 'refund-failed-in-window-retried');
});

describe('the customer is told what matches the cause', () => {
  test('a declined card: payment_failed', async () => {
    const who = await shopper(h);
    const orderId = await placeOrder(h, who, await seedProduct(h, book), 'tok_chargeDeclined');
    expect(await checkoutHandle(h, orderId).result()).toMatchObject({ status: 'failed', paymentState: 'failed' });
    expect(await notified(h, orderId)).toEqual(['payment_failed']);
  });

  test('out of stock: order_cancelled, nothing charged', async () => {
    const who = await shopper(h);
    const orderId = await placeOrder(h, who, await seedProduct(h, book, { stock: 1 }), 'tok_visa', 2);
    expect(await checkoutHandle(h, orderId).result()).toMatchObject({
      status: 'failed',
      failureReason: 'out_of_stock',
    });
    expect(await notified(h, orderId)).toEqual(['order_cancelled']);
  });

  test('stock that cannot be reserved past every retry: order_cancelled (not a payment failure)', async () => {
    modes.reserve = 'down';
    const who = await shopper(h);
    const orderId = await placeOrder(h, who, await seedProduct(h, book));
    expect(await checkoutHandle(h, orderId).result()).toMatchObject({
      status: 'failed',
      failureReason: 'checkout_error',
    });
    expect(await notified(h, orderId)).toEqual(['order_cancelled']);
  });

  test('a capture that fails past every retry: payment_failed, authorization voided', async () => {
    modes.capture = 'refused';
    const who = await shopper(h);
    const orderId = await placeOrder(h, who, await seedProduct(h, book));
    expect(await checkoutHandle(h, orderId).result()).toMatchObject({ status: 'failed', paymentState: 'voided' });
    expect(await notified(h, orderId)).toEqual(['payment_failed']);
  });

  test('an order that cannot be confirmed after the capture: refunded, order_cancelled', async () => {
    modes.confirm = 'down';
    const who = await shopper(h);
    const orderId = await placeOrder(h, who, await seedProduct(h, book));
    expect(await checkoutHandle(h, orderId).result()).toMatchObject({ status: 'failed', paymentState: 'refunded' });
    expect(await notified(h, orderId)).toEqual(['order_cancelled']);
  });

  test('a cancel while the payment waits for 3-D Secure: voided, order_cancelled', async () => {
    const who = await shopper(h);
    const orderId = await placeOrder(h, who, await seedProduct(h, book), 'tok_threeDSecureRequired');
    await awaitingPayment(orderId);
    const res = await h.call('POST', `/orders/${orderId}/cancel`, { token: who.token });
    expect(res).toMatchObject({ status: 200, body: { status: 'cancelled', paymentState: 'voided' } });
    await checkoutHandle(h, orderId).result();
    expect(await notified(h, orderId)).toEqual(['payment_action_required', 'order_cancelled']);
  });

  test('a cancel in the window: refunded, order_refunded', async () => {
    const who = await shopper(h);
    const orderId = await placeOrder(h, who, await seedProduct(h, book));
    await inWindow(orderId);
    const res = await h.call('POST', `/orders/${orderId}/cancel`, { token: who.token });
    expect(res).toMatchObject({ status: 200, body: { status: 'cancelled', paymentState: 'refunded' } });
    await checkoutHandle(h, orderId).result();
    expect(await notified(h, orderId)).toEqual(['order_confirmed', 'order_refunded']);
  });
});

describe('a Temporal cancellation is an order cancel with the same compensations', () => {
  test('before capture: voided, stock back, order_cancelled; the execution completes with that outcome', async () => {
    const who = await shopper(h);
    const p = await seedProduct(h, book, { stock: 2 });
    const orderId = await placeOrder(h, who, p, 'tok_threeDSecureRequired');
    await awaitingPayment(orderId);
    await checkoutHandle(h, orderId).cancel();
    await expect(checkoutHandle(h, orderId).result()).resolves.toMatchObject({
      status: 'cancelled',
      paymentState: 'voided',
    });
    expect((await checkoutHandle(h, orderId).describe()).status.name).toBe('COMPLETED');
    expect(await waitForStatus(h, orderId, ['cancelled'])).toMatchObject({
      failureReason: 'cancelled_by_operator',
      paymentStatus: 'voided',
    });
    expect(await stockOf(h, p)).toBe(2);
    expect(await notified(h, orderId)).toEqual(['payment_action_required', 'order_cancelled']);
    await maybeRecordHistory(h, orderId, 'temporal-cancel');
  });

  test('in the window: refunded, stock back, order_refunded', async () => {
    const who = await shopper(h);
    const p = await seedProduct(h, book, { stock: 2 });
    const orderId = await placeOrder(h, who, p);
    await inWindow(orderId);
    await checkoutHandle(h, orderId).cancel();
    await expect(checkoutHandle(h, orderId).result()).resolves.toMatchObject({
      status: 'cancelled',
      paymentState: 'refunded',
    });
    expect(await orderRow(h, orderId)).toMatchObject({
      status: 'cancelled',
      failureReason: 'cancelled_by_operator',
      paymentStatus: 'refunded',
    });
    expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'refunded', refundedCents: 1999 });
    expect(await stockOf(h, p)).toBe(2);
    expect(await events(h, orderId)).toEqual(expect.arrayContaining(['payment.refunded', 'order.refunded']));
    expect(await notified(h, orderId)).toEqual(['order_confirmed', 'order_refunded']);
    await maybeRecordHistory(h, orderId, 'temporal-cancel-in-window');
  });
});
