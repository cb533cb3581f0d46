/**
 * Activities are idempotent (ARCHITECTURE.md): Temporal may run one twice, e.g. when a worker dies after the work but
 * before reporting it. Run straight against a real database, a second run of each order and stock step changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { cartLines, carts, inventoryReservations, orderEvents, products, sandboxLedger } from '../../db/schema';
import type { CheckoutInput } from '../../contract';
import { activitiesOnTestDb, checkoutInput } from './helpers';

const suite = activitiesOnTestDb();

async function order(stock: number, quantity: number): Promise<{ input: CheckoutInput; productId: string }> {
  const productId = await product(stock);
  const customerId = randomUUID();
  const [cart] = await suite.db.db.insert(carts).values({ customerId, currency: 'EUR' }).returning({ id: carts.id });
  await suite.db.db.insert(cartLines).values({ cartId: cart!.id, productId, quantity });
  return { input: checkoutInput(customerId, cart!.id), productId };
}

const stockOf = async (id: string) =>
  (await suite.db.db.select({ stock: products.stock }).from(products).where(eq(products.id, id)))[0]!.stock;
const eventTypes = async (orderId: string) =>
  (await suite.db.db.select({ type: orderEvents.type }).from(orderEvents).where(eq(orderEvents.orderId, orderId)))
    .map((e) => e.type)
    .sort();

test('createOrder and reserveInventory run twice hold the stock once, with one event each', async () => {
  const { input, productId } = await order(10, 3);
  const first = await suite.acts.createOrder(input);
  expect(await suite.acts.createOrder(input)).toEqual(first);
  expect(await suite.acts.reserveInventory({ orderId: input.orderId })).toEqual({ lines: 1 });
  expect(await suite.acts.reserveInventory({ orderId: input.orderId })).toEqual({ lines: 1 });
  expect(await stockOf(productId)).toBe(7);
  const holds = await suite.db.db
    .select()
    .from(inventoryReservations)
    .where(eq(inventoryReservations.orderId, input.orderId));
  expect(holds).toMatchObject([{ productId, quantity: 3, status: 'held' }]);
  expect(await eventTypes(input.orderId)).toEqual(['inventory.reserved', 'order.created']);
});

test("another order's holds do not make this order look already reserved", async () => {
  const a = await order(10, 1);
  const b = await order(10, 2);
  await suite.acts.createOrder(a.input);
  await suite.acts.reserveInventory({ orderId: a.input.orderId });
  await suite.acts.createOrder(b.input);
  await suite.acts.reserveInventory({ orderId: b.input.orderId });
  expect(await stockOf(b.productId)).toBe(8);
});

test('releaseInventory run twice gives the stock back once', async () => {
  const { input, productId } = await order(5, 2);
  await suite.acts.createOrder(input);
  await suite.acts.reserveInventory({ orderId: input.orderId });
  await suite.acts.releaseInventory({ orderId: input.orderId, reason: 'test' });
  await suite.acts.releaseInventory({ orderId: input.orderId, reason: 'test' });
  expect(await stockOf(productId)).toBe(5);
  expect((await eventTypes(input.orderId)).filter((t) => t === 'inventory.released')).toHaveLength(1);
});

/** An order over several products (cart lines added in the order given). */
async function multiOrder(lines: Array<{ productId: string; quantity: number }>): Promise<CheckoutInput> {
  const customerId = randomUUID();
  const [cart] = await suite.db.db.insert(carts).values({ customerId, currency: 'EUR' }).returning({ id: carts.id });
  for (const l of lines) await suite.db.db.insert(cartLines).values({ cartId: cart!.id, ...l });
  return checkoutInput(customerId, cart!.id);
}

async function product(stock: number): Promise<string> {
  const id = randomUUID();
  await suite.db.db.insert(products).values({
    id,
    sku: `SKU-${id.slice(0, 8)}`,
    name: 'Lamp',
    category: 'test',
    priceCents: 500,
    currency: 'EUR',
    stock,
  });
  return id;
}

test('orders of the same products reserved at once, lines in either order: no deadlock, every unit accounted for', async () => {
  const [a, b, c] = [await product(100), await product(100), await product(100)];
  const inputs = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      multiOrder(
        i % 2
          ? [
              { productId: a!, quantity: 1 },
              { productId: b!, quantity: 2 },
              { productId: c!, quantity: 3 },
            ]
          : [
              { productId: c!, quantity: 3 },
              { productId: b!, quantity: 2 },
              { productId: a!, quantity: 1 },
            ],
      ),
    ),
  );
  for (const input of inputs) await suite.acts.createOrder(input);
  const results = await Promise.all(inputs.map((input) => suite.acts.reserveInventory({ orderId: input.orderId })));
  expect(results).toEqual(inputs.map(() => ({ lines: 3 })));
  expect([await stockOf(a!), await stockOf(b!), await stockOf(c!)]).toEqual([80, 60, 40]);
  const holds = await suite.db.db.select().from(inventoryReservations).where(eq(inventoryReservations.productId, c!));
  expect(holds.map((h) => h.quantity)).toEqual(inputs.map(() => 3));
});

test('one short line among several holds nothing, and the failure names that line alone', async () => {
  const [plenty, scarce] = [await product(10), await product(1)];
  const input = await multiOrder([
    { productId: plenty!, quantity: 2 },
    { productId: scarce!, quantity: 2 },
  ]);
  await suite.acts.createOrder(input);
  const failure = await suite.acts.reserveInventory({ orderId: input.orderId }).catch((err: unknown) => err);
  expect(failure).toMatchObject({
    type: 'OutOfStock',
    nonRetryable: true,
    details: [{ lines: [{ productId: scarce, requested: 2, available: 1 }] }],
  });
  expect([await stockOf(plenty!), await stockOf(scarce!)]).toEqual([10, 1]);
  expect(
    await suite.db.db.select().from(inventoryReservations).where(eq(inventoryReservations.orderId, input.orderId)),
  ).toEqual([]);
  expect(await eventTypes(input.orderId)).toEqual(['order.created']);
});

test('capturePayment without the authorization id (scheduled by an older checkout) asks the provider and captures once', async () => {
  const { input } = await order(5, 1);
  const ref = { orderId: input.orderId, workflowId: `order-${input.orderId}` };
  await suite.acts.createOrder(input);
  const auth = await suite.acts.authorizePayment({ ...ref, token: 'tok_visa' });
  await suite.acts.capturePayment(ref);
  await suite.acts.capturePayment({ ...ref, paymentId: auth.paymentId });
  const ledger = await suite.db.db.select().from(sandboxLedger).where(eq(sandboxLedger.paymentId, auth.paymentId));
  expect(ledger.map((l) => l.operation).sort()).toEqual(['authorize', 'capture']);
  expect(await eventTypes(input.orderId)).toEqual(['order.created', 'payment.authorized', 'payment.processed']);
});

test("authorizePayment charges the total the workflow passes; one scheduled without it (an older checkout) reads the order's", async () => {
  const sandboxAmount = async (paymentId: string) =>
    (
      await suite.db.db
        .select({ amountCents: sandboxLedger.amountCents })
        .from(sandboxLedger)
        .where(eq(sandboxLedger.paymentId, paymentId))
    )[0]?.amountCents;
  const passed = await order(5, 3);
  const created = await suite.acts.createOrder(passed.input);
  const ref = { orderId: passed.input.orderId, workflowId: `order-${passed.input.orderId}` };
  const auth = await suite.acts.authorizePayment({
    ...ref,
    token: 'tok_visa',
    amount: { totalCents: created.totalCents, currency: created.currency },
  });
  expect(await sandboxAmount(auth.paymentId)).toBe(1500);

  const older = await order(5, 2);
  await suite.acts.createOrder(older.input);
  const olderAuth = await suite.acts.authorizePayment({
    orderId: older.input.orderId,
    workflowId: `order-${older.input.orderId}`,
    token: 'tok_visa',
  });
  expect(await sandboxAmount(olderAuth.paymentId)).toBe(1000);
});
