/**
 * A Temporal cancellation ("Request Cancellation" in the Web UI, `temporal workflow cancel`) at the steps the other
 * files do not reach: while a step's activity is in flight (the compensations wait for it, then undo what it did),
 * while compensations already run (it changes nothing), and after the refund window (the order is final). Each ends
 * with the right order state and exactly one notification of the outcome.
 */
import type { CheckoutStatus } from '../../contract';
import type { Harness } from '../support/harness';
import {
  checkoutHandle,
  checkoutSuiteReplacing,
  notified,
  orderRow,
  placeOrder,
  sandboxPaymentOf,
  seedProduct,
  shopper,
  stockOf,
  waitFor,
  waitForHistoryEvent,
  waitForStatus,
} from './helpers';

let h: Harness;

/** An activity held at its start until the test lets it go; `entered` resolves once it is held. */
class Gate {
  entered!: Promise<void>;
  private enter!: () => void;
  private release!: () => void;
  private opened!: Promise<void>;
  constructor() {
    this.reset();
  }
  reset(): void {
    this.entered = new Promise((r) => (this.enter = r));
    this.opened = new Promise((r) => (this.release = r));
  }
  async pass(): Promise<void> {
    this.enter();
    await this.opened;
  }
  open(): void {
    this.release();
  }
}

const gates = { reserve: new Gate(), authorize: new Gate(), reverse: new Gate() };
const held = { reserve: false, authorize: false, reverse: false };
beforeEach(() => {
  for (const gate of Object.values(gates)) gate.reset();
  Object.assign(held, { reserve: false, authorize: false, reverse: false });
});
afterEach(() => Object.values(gates).forEach((g) => g.open()));

const book = checkoutSuiteReplacing(
  { CANCELLATION_WINDOW: '2s' },
  (real) => ({
    async reserveInventory(input) {
      if (held.reserve) await gates.reserve.pass();
      return real.reserveInventory(input);
    },
    async authorizePayment(input) {
      if (held.authorize) await gates.authorize.pass();
      return real.authorizePayment(input);
    },
    async reversePayment(input) {
      if (held.reverse) await gates.reverse.pass();
      return real.reversePayment(input);
    },
  }),
  (started) => (h = started),
);

/**
 * Cancels while the step's activity is held, and checks that the compensations wait for it: once the workflow has
 * asked the activity to stop, it is still at that step. Then lets the activity finish.
 */
async function cancelWhileHeld(orderId: string, gate: Gate, step: CheckoutStatus['step']) {
  await gate.entered;
  await checkoutHandle(h, orderId).cancel();
  await waitForHistoryEvent(checkoutHandle(h, orderId), 'the cancel reaching the step in flight', (e) =>
    Boolean(e.activityTaskCancelRequestedEventAttributes),
  );
  expect(await checkoutHandle(h, orderId).query<CheckoutStatus>('status')).toMatchObject({ step });
  gate.open();
}

/** Cancels as the Web UI does and waits for the execution to close: it completes, with the order's outcome. */
async function cancelAndSettle(orderId: string) {
  await checkoutHandle(h, orderId).cancel();
  const closed = await waitFor(
    `the checkout of ${orderId} to close`,
    async () => (await checkoutHandle(h, orderId).describe()).status.name,
    (s) => s !== 'RUNNING',
  );
  expect(closed).toBe('COMPLETED');
  return closed;
}

test('while the stock is being reserved: the hold made after the cancel is released, nothing charged', async () => {
  held.reserve = true;
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 4 });
  const orderId = await placeOrder(h, who, p, 'tok_visa', 2);
  await cancelWhileHeld(orderId, gates.reserve, 'reserving_inventory');
  await cancelAndSettle(orderId);
  expect(await waitForStatus(h, orderId, ['cancelled'])).toMatchObject({ failureReason: 'cancelled_by_operator' });
  expect(await stockOf(h, p)).toBe(4);
  expect(await sandboxPaymentOf(h, orderId)).toBeUndefined();
  expect(await notified(h, orderId)).toEqual(['order_cancelled']);
});

test('while the card is being authorized: the authorization made after the cancel is voided', async () => {
  held.authorize = true;
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 3 });
  const orderId = await placeOrder(h, who, p);
  await cancelWhileHeld(orderId, gates.authorize, 'authorizing_payment');
  await cancelAndSettle(orderId);
  expect(await waitForStatus(h, orderId, ['cancelled'])).toMatchObject({
    failureReason: 'cancelled_by_operator',
    paymentStatus: 'voided',
  });
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'voided' });
  expect(await stockOf(h, p)).toBe(3);
  expect(await notified(h, orderId)).toEqual(['order_cancelled']);
});

test('while compensations already run: the cancel changes nothing, one notification with the first reason', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 2 });
  const orderId = await placeOrder(h, who, p, 'tok_threeDSecureRequired');
  await waitFor(
    `order ${orderId} awaiting payment`,
    () => checkoutHandle(h, orderId).query<CheckoutStatus>('status'),
    (s) => s.step === 'awaiting_payment',
  );
  held.reverse = true;
  await checkoutHandle(h, orderId).signal('cancel', { reason: 'cancelled_by_customer' });
  await gates.reverse.entered;
  expect(await checkoutHandle(h, orderId).query<CheckoutStatus>('status')).toMatchObject({ step: 'compensating' });
  await checkoutHandle(h, orderId).cancel();
  gates.reverse.open();
  await cancelAndSettle(orderId);
  expect(await orderRow(h, orderId)).toMatchObject({
    status: 'cancelled',
    failureReason: 'cancelled_by_customer',
    paymentStatus: 'voided',
  });
  expect(await stockOf(h, p)).toBe(2);
  expect(await notified(h, orderId)).toEqual(['payment_action_required', 'order_cancelled']);
});

test('after the refund window: the workflow has completed, the cancel does nothing and the order stays confirmed', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 2 });
  const orderId = await placeOrder(h, who, p);
  expect(await checkoutHandle(h, orderId).result()).toMatchObject({ status: 'confirmed', paymentState: 'captured' });
  // The server takes the request for a closed execution without a word, and nothing runs.
  await checkoutHandle(h, orderId).cancel();
  expect((await checkoutHandle(h, orderId).describe()).status.name).toBe('COMPLETED');
  expect(await orderRow(h, orderId)).toMatchObject({ status: 'confirmed', paymentStatus: 'captured' });
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'captured', refundedCents: 0 });
  expect(await stockOf(h, p)).toBe(1);
  expect(await notified(h, orderId)).toEqual(['order_confirmed']);
});
