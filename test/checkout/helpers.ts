/** Shared steps for the checkout tests: seed products and carts, place orders over HTTP, wait, and check invariants. */
import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { eq, inArray } from 'drizzle-orm';
import {
  cartLines,
  carts,
  inventoryReservations,
  notifications,
  orderEvents,
  orders,
  payments,
  products,
  sandboxLedger,
  sandboxPayments,
} from '../../db/schema';
import { orderIdFor, requestHash } from '../../api/orders/ids';
import { checkoutWorkflowId, type CheckoutInput } from '../../contract';
import { createActivities, type Activities } from '../../activities';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createActivityDeps } from '../../workers/deps';
import { startHarness, type Harness, type HarnessOptions } from '../support/harness';
import { createTestDb, type TestDb } from '../support/db';
import { saveHistoryFixture } from '../support/temporal-cli';
import { waitFor } from '../support/wait';

export { waitFor, waitForHistoryEvent, waitForQuery, waitForRetryDue } from '../support/wait';

export interface Shopper {
  id: string;
  token: string;
}

export async function shopper(h: Harness): Promise<Shopper> {
  const id = randomUUID();
  return { id, token: await h.token('customer', id) };
}

/** Initial stock of every product a test created, for the conservation invariant. */
export type StockBook = Map<string, number>;

export async function seedProduct(
  h: Harness,
  book: StockBook,
  opts: { stock?: number; priceCents?: number; currency?: string; active?: boolean } = {},
): Promise<string> {
  const id = randomUUID();
  const stock = opts.stock ?? 100;
  await h.db.db.insert(products).values({
    id,
    sku: `SKU-${id.slice(0, 8)}`,
    name: `Product ${id.slice(0, 4)}`,
    category: 'test',
    priceCents: opts.priceCents ?? 1999,
    currency: opts.currency ?? 'EUR',
    stock,
    active: opts.active ?? true,
  });
  book.set(id, stock);
  return id;
}

/** Carts are written straight to the database: checkout only reads them. */
export async function seedCart(
  h: Harness,
  customerId: string,
  lines: { productId: string; quantity: number }[],
): Promise<string> {
  const [cart] = await h.db.db.insert(carts).values({ customerId, currency: 'EUR' }).returning({ id: carts.id });
  if (lines.length) await h.db.db.insert(cartLines).values(lines.map((l) => ({ cartId: cart!.id, ...l })));
  return cart!.id;
}

export function checkoutBody(cartId: string, token = 'tok_visa') {
  return {
    cartId,
    email: 'ada@example.com',
    shippingAddress: {
      name: 'Ada Lovelace',
      line1: '1 Analytical St',
      city: 'London',
      postalCode: 'N1 9GU',
      country: 'GB',
    },
    payment: { method: 'card' as const, token },
  };
}

/**
 * The checkout workflow's input for this customer's cart, built as the API builds it but without `version` (what the
 * previous API started), for tests that start the workflow or run its activities themselves.
 */
export function checkoutInput(
  customerId: string,
  cartId: string,
  timeouts: Pick<CheckoutInput, 'paymentConfirmationTimeout' | 'cancellationWindow' | 'version'> = {
    paymentConfirmationTimeout: '15m',
    cancellationWindow: '1h',
  },
): CheckoutInput {
  const body = checkoutBody(cartId);
  const idempotencyKey = randomUUID();
  return {
    orderId: orderIdFor(customerId, idempotencyKey),
    customerId,
    idempotencyKey,
    requestHash: requestHash(body),
    request: body,
    ...timeouts,
  };
}

export function postCheckout(h: Harness, who: Shopper, body: unknown, key: string = randomUUID()) {
  return h.call('POST', '/checkout', { token: who.token, body, headers: { 'idempotency-key': key } });
}

/** Places an order for one product and returns the order id. */
export async function placeOrder(
  h: Harness,
  who: Shopper,
  productId: string,
  token = 'tok_visa',
  quantity = 1,
): Promise<string> {
  const cartId = await seedCart(h, who.id, [{ productId, quantity }]);
  const res = await postCheckout(h, who, checkoutBody(cartId, token));
  if (res.status !== 202) throw new Error(`checkout answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.orderId as string;
}

/** The handle of the order's checkout workflow. */
export function checkoutHandle(h: Harness, orderId: string) {
  return h.client.workflow.getHandle(checkoutWorkflowId(orderId));
}

export async function orderRow(h: Harness, orderId: string) {
  const [row] = await h.db.db.select().from(orders).where(eq(orders.id, orderId));
  return row;
}

export function waitForStatus(h: Harness, orderId: string, statuses: string[], timeoutMs?: number) {
  return waitFor(
    `order ${orderId} to be ${statuses.join('|')}`,
    () => orderRow(h, orderId),
    (r) => !!r && statuses.includes(r.status),
    timeoutMs,
  );
}

/** Waits until the workflow has nothing left to do (its status query says step done, or it has closed). */
export async function waitForWorkflowDone(h: Harness, orderId: string, timeoutMs = 30_000) {
  const handle = h.client.workflow.getHandle(checkoutWorkflowId(orderId));
  return waitFor(
    `workflow of ${orderId} to finish`,
    async () => {
      const d = await handle.describe();
      if (d.status.name !== 'RUNNING') return 'closed';
      const s = await handle.query<{ step: string }>('status');
      return s.step;
    },
    (v) => v === 'closed' || v === 'done' || v === 'cancellation_window',
    timeoutMs,
  );
}

/** The order's row in `payments`, whichever provider wrote it. */
export async function paymentOf(h: Harness, orderId: string) {
  const [row] = await h.db.db.select().from(payments).where(eq(payments.orderId, orderId));
  return row;
}

/** The product's stock on the shelf now. */
export async function stockOf(h: Harness, productId: string): Promise<number> {
  const [row] = await h.db.db.select({ stock: products.stock }).from(products).where(eq(products.id, productId));
  return row!.stock;
}

/** The kinds of notification the order's customer was sent (or was attempted), in order. */
export async function notified(h: Harness, orderId: string): Promise<string[]> {
  const rows = await h.db.db
    .select({ kind: notifications.kind })
    .from(notifications)
    .where(eq(notifications.orderId, orderId))
    .orderBy(notifications.createdAt);
  return rows.map((r) => r.kind);
}

export async function events(h: Harness, orderId: string): Promise<string[]> {
  const rows = await h.db.db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(orderEvents.id);
  return rows.map((r) => r.type);
}

export async function sandboxPaymentOf(h: Harness, orderId: string) {
  const [row] = await h.db.db
    .select()
    .from(sandboxPayments)
    .where(eq(sandboxPayments.idempotencyKey, `${checkoutWorkflowId(orderId)}:authorize`));
  return row;
}

/**
 * The invariants of ARCHITECTURE.md over everything this test database holds: money (captured = confirmed totals,
 * at most one charge per order, failed/cancelled orders voided or refunded), stock conservation, one terminal state.
 * Call it when no order is mid-flight.
 */
export async function expectInvariants(h: Harness, book: StockBook) {
  const db = h.db.db;
  const allOrders = await db.select().from(orders);
  const ledger = await db.select().from(sandboxLedger);
  const pays = await db.select().from(sandboxPayments);
  const reservations = await db.select().from(inventoryReservations);

  // Money.
  const captured = ledger.filter((l) => l.operation === 'capture').reduce((s, l) => s + l.amountCents, 0);
  const refunded = ledger.filter((l) => l.operation === 'refund').reduce((s, l) => s + l.amountCents, 0);
  const confirmedTotal = allOrders.filter((o) => o.status === 'confirmed').reduce((s, o) => s + o.totalCents, 0);
  expect(captured - refunded).toBe(confirmedTotal);
  const capturesPerPayment = new Map<string, number>();
  for (const l of ledger.filter((x) => x.operation === 'capture'))
    capturesPerPayment.set(l.paymentId, (capturesPerPayment.get(l.paymentId) ?? 0) + 1);
  for (const n of capturesPerPayment.values()) expect(n).toBe(1);
  const paysPerOrder = new Map<string, typeof pays>();
  for (const p of pays) {
    const orderId = p.idempotencyKey.replace(/^order-/, '').replace(/:authorize$/, '');
    paysPerOrder.set(orderId, [...(paysPerOrder.get(orderId) ?? []), p]);
  }
  for (const o of allOrders) {
    const ps = paysPerOrder.get(o.id) ?? [];
    expect(ps.length).toBeLessThanOrEqual(1);
    if (o.status === 'failed' || o.status === 'cancelled') {
      for (const p of ps) expect(['voided', 'refunded', 'declined', 'processing']).toContain(p.status);
    }
    if (o.status === 'confirmed') expect(ps.map((p) => p.status)).toEqual(['captured']);
  }

  // Stock: initial = on the shelf + held + sold.
  const ids = [...book.keys()];
  const shelf = ids.length
    ? await db.select({ id: products.id, stock: products.stock }).from(products).where(inArray(products.id, ids))
    : [];
  for (const p of shelf) {
    const out = reservations
      .filter((r) => r.productId === p.id && (r.status === 'held' || r.status === 'committed'))
      .reduce((s, r) => s + r.quantity, 0);
    expect({ product: p.id, total: p.stock + out }).toEqual({ product: p.id, total: book.get(p.id) });
    expect(p.stock).toBeGreaterThanOrEqual(0);
  }

  // One terminal state per order; nothing left held behind a closed order.
  const evs = await db.select().from(orderEvents);
  for (const o of allOrders) {
    const mine = evs.filter((e) => e.orderId === o.id).map((e) => e.type);
    expect(mine.filter((t) => t === 'order.failed' || t === 'order.cancelled').length).toBeLessThanOrEqual(1);
    if (o.status === 'failed') expect(mine).not.toContain('order.confirmed');
    if (o.status !== 'pending' && o.status !== 'awaiting_payment') {
      expect(reservations.filter((r) => r.orderId === o.id && r.status === 'held')).toEqual([]);
    }
    if (o.status === 'cancelled' || o.status === 'failed') {
      expect(reservations.filter((r) => r.orderId === o.id && r.status !== 'released')).toEqual([]);
    }
  }
}

/**
 * With RECORD_HISTORIES=1, saves the workflow's history as a replay fixture, exported by the Temporal CLI itself
 * (`temporal workflow show --output json`), the format operators get and `npm run replay` reads.
 */
export async function maybeRecordHistory(h: Harness, orderId: string, name: string) {
  await maybeRecordWorkflowHistory(h, checkoutWorkflowId(orderId), `checkout-${name}`);
}

/** The same for any workflow: test/fixtures/histories/<file>.json, replayed by test/checkout/replay.test.ts. */
export async function maybeRecordWorkflowHistory(h: Harness, workflowId: string, file: string) {
  if (!process.env.RECORD_HISTORIES) return;
  // Waits for the history to close: a checkout that a Temporal cancellation ended rejects, and is recorded all the same.
  await h.client.workflow
    .getHandle(workflowId)
    .result()
    .catch(() => undefined);
  saveHistoryFixture(workflowId, `${file}.json`);
}

/**
 * The frame every checkout test file shares: one harness for the file, started before its tests and closed after
 * them, and the invariants of ARCHITECTURE.md checked after every test against the file's stock book.
 */
export function checkoutSuite(opts: HarnessOptions, onStart: (h: Harness) => void): StockBook {
  const book: StockBook = new Map();
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness(opts);
    onStart(h);
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(async () => {
    if (h) await expectInvariants(h, book);
  });
  return book;
}

/**
 * checkoutSuite with some activities replaced, to reach failure paths real parts cannot: `replace` gets the real
 * activities (built from the harness's dependencies) and returns the stand-ins, which call through to them until the
 * test says otherwise.
 */
export function checkoutSuiteReplacing(
  env: Record<string, string>,
  replace: (real: Activities) => Partial<Activities>,
  onStart: (h: Harness) => void,
): StockBook {
  return checkoutSuite({ env, activities: (deps) => replace(createActivities(deps)) }, onStart);
}

/**
 * The activities wired to a database of the file's own, called straight (no worker, no workflow), for tests of what
 * one activity writes. Registers the file's beforeAll/afterAll; `db` and `acts` are there from the first test on.
 */
export function activitiesOnTestDb(): { db: TestDb; acts: ReturnType<typeof createActivities> } {
  const suite = {} as { db: TestDb; acts: ReturnType<typeof createActivities> };
  let closeDeps: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    suite.db = await createTestDb();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
    const built = await createActivityDeps({ config, db: suite.db.db, log: createLogger('silent', 'test') });
    suite.acts = createActivities(built.deps);
    closeDeps = built.close;
  });
  afterAll(async () => {
    await closeDeps?.();
    await suite.db?.close();
  });
  return suite;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The marker sdk-core records for each local activity (its result, or its failure). */
export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** What sdk-core writes, in plain JSON, in a local activity marker's `data` detail (undefined for other events). */
export function localActivityData(
  e: HistoryEvent,
): { activity_type?: string; attempt?: number; backoff?: unknown } | undefined {
  const marker = e.markerRecordedEventAttributes;
  if (marker?.markerName !== LOCAL_ACTIVITY_MARKER) return undefined;
  const data = marker.details?.data?.payloads?.[0]?.data;
  return data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined;
}

/** A local activity marker's activity type. */
export function localActivityType(e: HistoryEvent): string | undefined {
  return localActivityData(e)?.activity_type;
}

/** The steps a history ran, in order: regular activities as scheduled, local ones as their markers. */
export function stepsOf(events: HistoryEvent[]): string[] {
  return events.flatMap(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? localActivityType(e) ?? [],
  );
}

/** The failure an activity ended with, regular (ActivityTaskFailed) or local (its marker's failure). */
export function activityFailureOf(events: HistoryEvent[]) {
  for (const e of events) {
    const failure = e.activityTaskFailedEventAttributes?.failure ?? e.markerRecordedEventAttributes?.failure;
    if (failure) return failure;
  }
  return undefined;
}
