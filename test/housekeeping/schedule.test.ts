/**
 * The housekeeping Schedule against the real dev server: it exists as configured, and a triggered run expires an idle
 * cart (a fresh one stays), and flags and releases an order whose workflow was terminated (a running one stays).
 */
import { eq, sql } from 'drizzle-orm';
import type { ScheduleHandle } from '@temporalio/client';
import { createActivities } from '../../activities';
import {
  CANCEL_SIGNAL,
  housekeepingScheduleId,
  HOUSEKEEPING_WORKFLOW_TYPE,
  NEEDS_ATTENTION_EVENT,
  type HousekeepingResult,
} from '../../contract';
import {
  cartHousekeeping,
  carts,
  customers,
  inventoryReservations,
  orderEvents,
  orders,
  products,
} from '../../db/schema';
import { ensureHousekeepingSchedule } from '../../workers/schedule';
import type { Harness } from '../support/harness';
import { startTestSmtp, type TestSmtp } from '../support/smtp';
import {
  checkoutHandle,
  checkoutSuite,
  events,
  orderRow,
  placeOrder,
  seedCart,
  seedProduct,
  shopper,
  waitFor,
  waitForStatus,
} from '../checkout/helpers';

let h: Harness;
let smtp: TestSmtp;
let schedule: ScheduleHandle;
const env: Record<string, string> = {
  CART_IDLE_EXPIRY: '1h',
  CART_REMINDER_AFTER: '30m',
  ORDER_STUCK_AFTER: '1h',
  HOUSEKEEPING_INTERVAL: '1h',
};
// Registered before checkoutSuite's hooks: the harness starts with SMTP_URL set, and the schedule is deleted while
// the harness's client is still open (jest runs beforeAll and afterAll hooks in the order they were declared).
beforeAll(async () => {
  smtp = await startTestSmtp();
  env.SMTP_URL = smtp.url;
});
afterAll(async () => {
  await schedule?.delete();
  await smtp?.stop();
});
const book = checkoutSuite({ env }, (started) => (h = started));

beforeAll(async () => {
  expect(await ensureHousekeepingSchedule(h.client, h.config)).toBe('created');
  // Idempotent: a second worker starting finds it and leaves one schedule.
  expect(await ensureHousekeepingSchedule(h.client, h.config)).toBe('updated');
  schedule = h.client.schedule.getHandle(housekeepingScheduleId(h.taskQueue));
});

/** Backdates a row's last change, as if it had sat untouched for `minutes`. */
const age = (table: typeof carts | typeof orders, id: string, minutes: number) =>
  h.db.db
    .update(table)
    .set({ updatedAt: sql`now() - make_interval(mins => ${minutes})` })
    .where(eq(table.id, id));

/** Triggers the schedule and waits for that run's result. */
async function runHousekeeping(): Promise<HousekeepingResult> {
  // recentActions keeps the last few runs only, and two runs in one second share a workflow id: runs tell apart.
  const runIds = (d: Awaited<ReturnType<ScheduleHandle['describe']>>) =>
    d.info.recentActions.map((a) => a.action.workflow.firstExecutionRunId);
  const before = new Set(runIds(await schedule.describe()));
  await schedule.trigger();
  const described = await waitFor(
    'the triggered housekeeping run to start',
    () => schedule.describe(),
    (d) => runIds(d).some((id) => !before.has(id)),
  );
  const started = described.info.recentActions.find((a) => !before.has(a.action.workflow.firstExecutionRunId))!;
  return h.client.workflow
    .getHandle(started.action.workflow.workflowId, started.action.workflow.firstExecutionRunId)
    .result();
}

test('the schedule runs the housekeeping workflow on the task queue every HOUSEKEEPING_INTERVAL, overlap SKIP', async () => {
  // One schedule per task queue; the default queue's is the one the docs name.
  expect(housekeepingScheduleId('checkout')).toBe('orderly-housekeeping');
  expect(schedule.scheduleId).toBe(`orderly-housekeeping-${h.taskQueue}`);
  const d = await schedule.describe();
  expect(d.action).toMatchObject({
    type: 'startWorkflow',
    workflowType: HOUSEKEEPING_WORKFLOW_TYPE,
    taskQueue: h.taskQueue,
  });
  expect(d.spec.intervals).toEqual([expect.objectContaining({ every: 3_600_000 })]);
  expect(d.policies.overlap).toBe('SKIP');
  expect(d.state.paused).toBe(false);
});

test('a triggered run expires a cart idle past CART_IDLE_EXPIRY and keeps what it held; a fresh cart stays', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book);
  const idle = await seedCart(h, who.id, [{ productId: p, quantity: 2 }]);
  const fresh = await seedCart(h, who.id, [{ productId: p, quantity: 1 }]);
  await age(carts, idle, 180);
  // A cart as idle, but with its checkout waiting for 3-D Secure, is not pulled from under the order.
  const inFlight = await placeOrder(h, who, p, 'tok_threeDSecureRequired');
  await waitForStatus(h, inFlight, ['awaiting_payment']);
  const busy = (await orderRow(h, inFlight))!.cartId!;
  await age(carts, busy, 180);

  const result = await runHousekeeping();
  expect(result.cartsExpired).toBeGreaterThanOrEqual(1);
  expect(await h.db.db.select({ id: carts.id }).from(carts).where(eq(carts.id, busy))).toEqual([{ id: busy }]);
  await checkoutHandle(h, inFlight).signal(CANCEL_SIGNAL, {});
  await waitForStatus(h, inFlight, ['cancelled']);

  expect(await h.db.db.select({ id: carts.id }).from(carts).where(eq(carts.id, idle))).toEqual([]);
  expect(await h.db.db.select({ id: carts.id }).from(carts).where(eq(carts.id, fresh))).toEqual([{ id: fresh }]);
  const [kept] = await h.db.db.select().from(cartHousekeeping).where(eq(cartHousekeeping.cartId, idle));
  expect(kept).toMatchObject({ customerId: who.id, lines: [{ productId: p, quantity: 2 }] });
  expect(kept!.expiredAt).toBeInstanceOf(Date);
  // The customer's cart is gone for them too.
  expect((await h.call('GET', `/carts/${idle}`, { token: who.token })).status).toBe(404);
  expect((await h.call('GET', `/carts/${fresh}`, { token: who.token })).status).toBe(200);
});

test('an order whose workflow was terminated is flagged, then its stock hold released; a running one is left', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 5 });
  const stuck = await placeOrder(h, who, p, 'tok_threeDSecureRequired', 2);
  const waiting = await placeOrder(h, who, p, 'tok_threeDSecureRequired', 1);
  await waitForStatus(h, stuck, ['awaiting_payment']);
  await waitForStatus(h, waiting, ['awaiting_payment']);
  await checkoutHandle(h, stuck).terminate('operator emergency brake (test)');
  await age(orders, stuck, 120);
  await age(orders, waiting, 120);
  const stockOf = async () => (await h.db.db.select().from(products).where(eq(products.id, p)))[0]!.stock;
  expect(await stockOf()).toBe(2);

  const result = await runHousekeeping();
  expect(result).toMatchObject({ ordersFlagged: 1, ordersReleased: 1 });
  expect(result.ordersChecked).toBeGreaterThanOrEqual(2);

  expect(await orderRow(h, stuck)).toMatchObject({ status: 'awaiting_payment', needsAttention: true });
  const timeline = await events(h, stuck);
  expect(timeline.indexOf(NEEDS_ATTENTION_EVENT)).toBeGreaterThan(-1);
  expect(timeline.indexOf('inventory.released')).toBeGreaterThan(timeline.indexOf(NEEDS_ATTENTION_EVENT));
  const [flag] = await h.db.db
    .select()
    .from(orderEvents)
    .where(sql`${orderEvents.orderId} = ${stuck} and ${orderEvents.type} = ${NEEDS_ATTENTION_EVENT}`);
  expect(flag!.data).toMatchObject({ reason: 'workflow_closed', workflowStatus: 'TERMINATED' });
  const holds = await h.db.db.select().from(inventoryReservations).where(eq(inventoryReservations.orderId, stuck));
  expect(holds.map((r) => r.status)).toEqual(['released']);
  expect(await stockOf()).toBe(4);

  // The running checkout keeps its hold and its flag stays down.
  expect(await orderRow(h, waiting)).toMatchObject({ status: 'awaiting_payment', needsAttention: false });
  expect((await checkoutHandle(h, waiting).describe()).status.name).toBe('RUNNING');

  // A second run finds nothing more to do for the stuck order.
  const again = await runHousekeeping();
  expect(again.ordersFlagged).toBe(0);
  expect((await events(h, stuck)).filter((t) => t === NEEDS_ATTENTION_EVENT)).toHaveLength(1);

  await checkoutHandle(h, waiting).signal(CANCEL_SIGNAL, {});
  await waitForStatus(h, waiting, ['cancelled']);
});

test('a cart idle past CART_REMINDER_AFTER gets one reminder email, never a second, then expires with its record', async () => {
  const who = await shopper(h);
  await h.db.db.insert(customers).values({ id: who.id, email: `idle-${who.id.slice(0, 8)}@example.com` });
  const p = await seedProduct(h, book);
  const cartId = await seedCart(h, who.id, [{ productId: p, quantity: 3 }]);
  const nobody = await seedCart(h, (await shopper(h)).id, [{ productId: p, quantity: 1 }]);
  await age(carts, cartId, 45);
  await age(carts, nobody, 45);
  const mine = () => smtp.for(`cart-${cartId}`);

  const first = await runHousekeeping();
  expect(first.remindersSent).toBeGreaterThanOrEqual(1);
  expect(mine()).toHaveLength(1);
  expect(mine()[0]).toMatchObject({ to: [`idle-${who.id.slice(0, 8)}@example.com`] });
  expect(mine()[0]!.parsed.text).toContain('3 x Product');
  // No address on file and no order to take one from: no reminder.
  expect(smtp.for(`cart-${nobody}`)).toHaveLength(0);
  const [row] = await h.db.db.select().from(cartHousekeeping).where(eq(cartHousekeeping.cartId, cartId));
  expect(row).toMatchObject({ reminderStatus: 'sent', expiredAt: null });

  // The next run, another workflow, and a retried send all find it sent.
  await runHousekeeping();
  const again = await h.client.workflow.execute('housekeeping', {
    taskQueue: h.taskQueue,
    workflowId: `housekeeping-again-${cartId}`,
  });
  expect(again).toMatchObject({ remindersSent: 0 });
  // A retry of the send is the same call again (outside a worker here: it answers before it would send).
  const retried = await createActivities(h.deps).sendCartReminder({ cartId });
  expect(retried).toBe('already_sent');
  expect(mine()).toHaveLength(1);

  // Past the expiry it goes, and its record keeps both the reminder and the lines.
  await age(carts, cartId, 120);
  await runHousekeeping();
  const [kept] = await h.db.db.select().from(cartHousekeeping).where(eq(cartHousekeeping.cartId, cartId));
  expect(kept).toMatchObject({ reminderStatus: 'sent', lines: [{ productId: p, quantity: 3 }] });
  expect(kept!.expiredAt).toBeInstanceOf(Date);
  expect(mine()).toHaveLength(1);
});
