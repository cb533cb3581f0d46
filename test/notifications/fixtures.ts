/** Orders straight in the database, so notification tests do not depend on the checkout workflow. */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { customers, notifications, orderEvents, orderLines, orders, products } from '../../db/schema';
import { startHarness, type Harness, type HarnessOptions } from '../support/harness';
import { startTestSmtp, type TestSmtp } from '../support/smtp';
import type { NotificationKind } from '../../contract';
import type { notifyOrder } from '../../workflows/notifications';

export interface SeedOptions {
  email?: string;
  customerId?: string;
  currency?: string;
  shipName?: string;
  productName?: string;
  lines?: { name?: string; unitPriceCents: number; quantity: number }[];
}

export async function seedOrder(
  db: Db,
  opts: SeedOptions = {},
): Promise<{ orderId: string; customerId: string; email: string }> {
  const orderId = randomUUID();
  const customerId = opts.customerId ?? randomUUID();
  const email = opts.email ?? `buyer-${orderId.slice(0, 8)}@example.com`;
  const currency = opts.currency ?? 'EUR';
  const specs = opts.lines ?? [
    { name: opts.productName ?? 'Espresso Cup', unitPriceCents: 1250, quantity: 2 },
    { name: 'Coffee Beans 1kg', unitPriceCents: 2399, quantity: 1 },
  ];
  const lines = [];
  for (const [i, spec] of specs.entries()) {
    const sku = `N-${orderId.slice(0, 8)}-${i}`;
    const [p] = await db
      .insert(products)
      .values({
        sku,
        name: spec.name ?? `Item ${i}`,
        category: 'test',
        priceCents: spec.unitPriceCents,
        currency,
        stock: 100,
      })
      .returning({ id: products.id });
    lines.push({
      orderId,
      productId: p!.id,
      sku,
      name: spec.name ?? `Item ${i}`,
      unitPriceCents: spec.unitPriceCents,
      quantity: spec.quantity,
      lineTotalCents: spec.unitPriceCents * spec.quantity,
    });
  }
  const total = lines.reduce((s, l) => s + l.lineTotalCents, 0);
  await db.insert(orders).values({
    id: orderId,
    customerId,
    email,
    status: 'confirmed',
    paymentStatus: 'captured',
    currency,
    totalCents: total,
    shippingAddress: {
      name: opts.shipName ?? 'Ada Lovelace',
      line1: '12 St James Square',
      city: 'London',
      postalCode: 'SW1Y 4JH',
      country: 'GB',
    },
    idempotencyKey: randomUUID(),
    requestHash: 'test',
    workflowId: `order-${orderId}`,
  });
  await db.insert(orderLines).values(lines);
  return { orderId, customerId, email };
}

export async function setPrefs(
  db: Db,
  customerId: string,
  prefs: { channels: string[]; phone?: string | null; pushToken?: string | null },
) {
  await db
    .insert(customers)
    .values({
      id: customerId,
      notificationChannels: prefs.channels,
      phone: prefs.phone ?? null,
      pushToken: prefs.pushToken ?? null,
    })
    .onConflictDoUpdate({
      target: customers.id,
      set: { notificationChannels: prefs.channels, phone: prefs.phone ?? null, pushToken: prefs.pushToken ?? null },
    });
}

export function runNotify(
  h: Harness,
  orderId: string,
  kind: NotificationKind = 'order_confirmed',
  workflowId = `notify-test-${randomUUID()}`,
) {
  return h.client.workflow.execute<typeof notifyOrder>('notifyOrder', {
    args: [{ orderId, kind }],
    taskQueue: h.taskQueue,
    workflowId,
  });
}

export async function rowsFor(db: Db, orderId: string) {
  return db.select().from(notifications).where(eq(notifications.orderId, orderId));
}

export async function eventsFor(db: Db, orderId: string) {
  return db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(orderEvents.id);
}

/**
 * The frame every email test file shares: a real SMTP server and a harness whose worker sends to it, started before
 * the file's tests and stopped after them. `opts` adds to the harness (more env, injected activities).
 */
export function mailSuite(onStart: (smtp: TestSmtp, h: Harness) => void, opts: HarnessOptions = {}): void {
  let smtp: TestSmtp | undefined;
  let h: Harness | undefined;
  beforeAll(async () => {
    smtp = await startTestSmtp();
    h = await startHarness({ ...opts, env: { SMTP_URL: smtp.url, ...opts.env } });
    onStart(smtp, h);
  });
  afterAll(async () => {
    await h?.close();
    await smtp?.stop();
  });
}
