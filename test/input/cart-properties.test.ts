/**
 * Property-based tests (fast-check) of cart merging and of pricing and totals, against the real app and database:
 * adds to a line merge up to the line and cart bounds and are refused whole past them, and the order snapshot's
 * totals are the exact sums the cart shows, or the cart is refused when they would not fit.
 */
import fc from 'fast-check';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { createActivities } from '../../activities';
import { INVALID_CART, MAX_CART_TOTAL_CENTS, MAX_LINE_QUANTITY, MAX_PRICE_CENTS } from '../../contract';
import { orderLines } from '../../db/schema';
import { checkoutInput, seedCart, seedProduct, shopper } from '../checkout/helpers';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  await h?.close();
});

/** Everyday prices and prices near the bounds, so both sides of MAX_CART_TOTAL_CENTS come up. */
const price = fc.oneof(
  fc.integer({ min: 0, max: 10_000 }),
  fc.integer({ min: 100_000, max: 2_000_000 }),
  fc.integer({ min: 0, max: MAX_PRICE_CENTS }),
);
const quantity = fc.integer({ min: 1, max: MAX_LINE_QUANTITY });

test('adds merge into one line per product, up to the line and cart bounds; a refused add changes nothing', async () => {
  const command = fc.record({ product: fc.nat(1), quantity: fc.integer({ min: 1, max: 600 }) });
  await fc.assert(
    fc.asyncProperty(
      fc.tuple(price, price),
      fc.array(command, { minLength: 1, maxLength: 6 }),
      async (prices, adds) => {
        const who = await shopper(h);
        const ids = [
          await seedProduct(h, new Map(), { priceCents: prices[0] }),
          await seedProduct(h, new Map(), { priceCents: prices[1] }),
        ];
        const cartId = (await h.call('POST', '/carts', { token: who.token })).body.id as string;
        const model = [0, 0];
        for (const add of adds) {
          const next = [...model];
          next[add.product]! += add.quantity;
          const total = next[0]! * prices[0] + next[1]! * prices[1];
          const fits = next[add.product]! <= MAX_LINE_QUANTITY && total <= MAX_CART_TOTAL_CENTS;
          const res = await h.call('POST', `/carts/${cartId}/items`, {
            token: who.token,
            body: { productId: ids[add.product], quantity: add.quantity },
          });
          expect(res.status).toBe(fits ? 200 : 422);
          if (fits) model.splice(0, 2, ...next);
        }
        const cart = (await h.call('GET', `/carts/${cartId}`, { token: who.token })).body;
        const held = ids.map((id) => cart.lines.find((l: { productId: string }) => l.productId === id)?.quantity ?? 0);
        expect(held).toEqual(model);
        expect(cart.totalCents).toBe(model[0]! * prices[0] + model[1]! * prices[1]);
      },
    ),
    { numRuns: 15 },
  );
});

test('an order snapshot totals exactly what the cart shows, or the cart is refused as too large', async () => {
  const line = fc.record({ priceCents: price, quantity });
  await fc.assert(
    fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 4 }), async (lines) => {
      const who = await shopper(h);
      const seeded = [];
      for (const l of lines)
        seeded.push({ productId: await seedProduct(h, new Map(), { priceCents: l.priceCents }), quantity: l.quantity });
      const cartId = await seedCart(h, who.id, seeded);
      const expected = lines.reduce((s, l) => s + l.priceCents * l.quantity, 0);
      const cart = (await h.call('GET', `/carts/${cartId}`, { token: who.token })).body;
      expect(cart.totalCents).toBe(expected);

      const input = checkoutInput(who.id, cartId);
      const outcome = await createActivities(h.deps)
        .createOrder(input)
        .then(
          (summary) => summary,
          (err: unknown) => err,
        );
      if (expected > MAX_CART_TOTAL_CENTS) {
        expect(outcome).toBeInstanceOf(ApplicationFailure);
        expect(outcome).toMatchObject({ type: INVALID_CART, nonRetryable: true });
        return;
      }
      expect(outcome).toMatchObject({ totalCents: expected, currency: 'EUR', lineCount: lines.length });
      const written = await h.db.db.select().from(orderLines).where(eq(orderLines.orderId, input.orderId));
      expect(written.reduce((s, l) => s + l.lineTotalCents, 0)).toBe(expected);
      for (const l of written) expect(l.lineTotalCents).toBe(l.unitPriceCents * l.quantity);
    }),
    { numRuns: 25 },
  );
});
