/**
 * createOrder snapshots the cart in one statement, and writes nothing when the cart changed for the worse after
 * POST /checkout looked at it: the failure is non-retryable InvalidCart and names what is wrong.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { cartLines, carts, orderEvents, orderLines, orders, products } from '../../db/schema';
import { activitiesOnTestDb, checkoutInput } from './helpers';

const suite = activitiesOnTestDb();

async function product(
  fields: { priceCents?: number; currency?: string; active?: boolean } = {},
): Promise<{ id: string; sku: string }> {
  const id = randomUUID();
  const sku = `SKU-${id.slice(0, 8)}`;
  await suite.db.db
    .insert(products)
    .values({ id, sku, name: `Lamp ${sku}`, category: 'test', priceCents: 500, currency: 'EUR', stock: 10, ...fields });
  return { id, sku };
}

async function cartWith(lines: Array<{ productId: string; quantity: number }>, customerId = randomUUID()) {
  const [cart] = await suite.db.db.insert(carts).values({ customerId, currency: 'EUR' }).returning({ id: carts.id });
  for (const l of lines) await suite.db.db.insert(cartLines).values({ cartId: cart!.id, ...l });
  return checkoutInput(customerId, cart!.id);
}

/** What createOrder left behind for this order: its row, lines and events. */
async function written(orderId: string) {
  const [order] = await suite.db.db.select().from(orders).where(eq(orders.id, orderId));
  const lines = await suite.db.db.select().from(orderLines).where(eq(orderLines.orderId, orderId));
  const events = await suite.db.db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId));
  return { order, lines, events };
}

test('the order, its lines at their current prices and order.created are written together', async () => {
  const [a, b] = [await product({ priceCents: 250 }), await product({ priceCents: 1000 })];
  const input = await cartWith([
    { productId: a.id, quantity: 2 },
    { productId: b.id, quantity: 1 },
  ]);
  expect(await suite.acts.createOrder(input)).toEqual({
    orderId: input.orderId,
    totalCents: 1500,
    currency: 'EUR',
    lineCount: 2,
  });
  const { order, lines, events } = await written(input.orderId);
  expect(order).toMatchObject({
    customerId: input.customerId,
    status: 'pending',
    totalCents: 1500,
    currency: 'EUR',
    workflowId: `order-${input.orderId}`,
  });
  expect(lines.map((l) => [l.sku, l.unitPriceCents, l.quantity, l.lineTotalCents]).sort()).toEqual(
    [
      [a.sku, 250, 2, 500],
      [b.sku, 1000, 1, 1000],
    ].sort(),
  );
  expect(events.map((e) => [e.type, e.data])).toEqual([
    ['order.created', { totalCents: 1500, currency: 'EUR', lines: 2 }],
  ]);
  // A later price change does not reach the snapshot, and a second run answers with the order as written.
  await suite.db.db.update(products).set({ priceCents: 9999 }).where(eq(products.id, a.id));
  expect(await suite.acts.createOrder(input)).toEqual({
    orderId: input.orderId,
    totalCents: 1500,
    currency: 'EUR',
    lineCount: 2,
  });
  expect((await written(input.orderId)).events).toHaveLength(1);
});

const refusals: Array<[string, () => Promise<{ input: ReturnType<typeof checkoutInput>; message: RegExp }>]> = [
  ['an empty cart', async () => ({ input: await cartWith([]), message: /empty/ })],
  [
    'a product no longer sold, named by SKU',
    async () => {
      const [sold, gone] = [await product(), await product({ active: false })];
      const input = await cartWith([
        { productId: sold.id, quantity: 1 },
        { productId: gone.id, quantity: 1 },
      ]);
      return { input, message: new RegExp(`no longer sold: ${gone.sku}$`) };
    },
  ],
  [
    'mixed currencies',
    async () => {
      const [eur, usd] = [await product(), await product({ currency: 'USD' })];
      return {
        input: await cartWith([
          { productId: eur.id, quantity: 1 },
          { productId: usd.id, quantity: 1 },
        ]),
        message: /mixes currencies/,
      };
    },
  ],
  [
    "someone else's cart",
    async () => {
      const p = await product();
      const theirs = await cartWith([{ productId: p.id, quantity: 1 }]);
      return { input: { ...theirs, customerId: randomUUID() }, message: /belongs to someone else/ };
    },
  ],
  [
    'a cart that does not exist',
    async () => {
      const p = await product();
      const input = await cartWith([{ productId: p.id, quantity: 1 }]);
      return { input: { ...input, request: { ...input.request, cartId: randomUUID() } }, message: /does not exist/ };
    },
  ],
];

test.each(refusals)('%s: non-retryable InvalidCart, nothing written', async (_name, make) => {
  const { input, message } = await make();
  const failure = await suite.acts.createOrder(input).catch((err: unknown) => err);
  expect(failure).toMatchObject({ type: 'InvalidCart', nonRetryable: true, message: expect.stringMatching(message) });
  expect(await written(input.orderId)).toEqual({ order: undefined, lines: [], events: [] });
});
