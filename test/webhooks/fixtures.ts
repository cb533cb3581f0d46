/** Shared steps for the webhook delivery tests: subscribe a receiver, read an order's events, check what arrived. */
import { asc, eq } from 'drizzle-orm';
import { orderEvents, webhookDeliveries, webhookSubscriptions } from '../../db/schema';
import { webhookMessageId } from '../../contract';
import { verifyWebhook } from '../../lib/webhook-signing';
import type { Harness } from '../support/harness';
import { waitFor } from '../support/wait';
import type { ReceivedWebhook, TestReceiver } from './receiver';

export interface Subscribed {
  id: string;
  secret: string;
}

/** Subscribes `url` to every event through the admin API (which starts the subscription's dispatcher). */
export async function subscribe(h: Harness, url: string, events: string[] = ['*']): Promise<Subscribed> {
  const res = await h.call('POST', '/webhooks/subscriptions', {
    token: await h.token('admin'),
    body: { url, events, description: 'test receiver' },
  });
  if (res.status !== 201) throw new Error(`subscribe answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, secret: res.body.secret as string };
}

export async function orderEventIds(h: Harness, orderId: string): Promise<{ id: number; type: string }[]> {
  return h.db.db
    .select({ id: orderEvents.id, type: orderEvents.type })
    .from(orderEvents)
    .where(eq(orderEvents.orderId, orderId))
    .orderBy(asc(orderEvents.id));
}

/** Waits until the order has an event of `type` (the last one a checkout writes is its notification). */
export function waitForEvent(h: Harness, orderId: string, type: string) {
  return waitFor(
    `a ${type} event of order ${orderId}`,
    () => orderEventIds(h, orderId),
    (evs) => evs.some((e) => e.type === type),
  );
}

/** The webhook-ids of every event of the order, in event order, once the receiver has had each at least once. */
export async function waitForAllEvents(h: Harness, receiver: TestReceiver, orderId: string, timeoutMs = 30_000) {
  const expected = (await orderEventIds(h, orderId)).map((e) => webhookMessageId(e.id));
  await waitFor(
    `all ${expected.length} events of order ${orderId} at the receiver`,
    async () => new Set(receiver.received.map((r) => r.id)),
    (ids) => expected.every((id) => ids.has(id)),
    timeoutMs,
  );
  return expected;
}

/** The receiver's requests about one order. */
export const receivedFor = (receiver: TestReceiver, orderId: string): ReceivedWebhook[] =>
  receiver.received.filter((r) => r.json.data.orderId === orderId);

/** Distinct webhook-ids about one order in the order they first arrived. */
export const firstArrivalsFor = (receiver: TestReceiver, orderId: string): string[] => {
  const ours = new Set(receivedFor(receiver, orderId).map((r) => r.id));
  return receiver.firstArrivals().filter((id) => ours.has(id));
};

/** Every request is signed with the subscription's secret (checked by the standardwebhooks library). */
export function expectSigned(received: ReceivedWebhook[], secret: string): void {
  for (const r of received) {
    expect(() => verifyWebhook(secret, r.body, r.headers)).not.toThrow();
    expect(r.json.id).toBe(r.id);
  }
}

export async function deliveryRows(h: Harness, subscriptionId: string) {
  return h.db.db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.subscriptionId, subscriptionId))
    .orderBy(asc(webhookDeliveries.eventId));
}

export async function subscriptionRow(h: Harness, subscriptionId: string) {
  const [row] = await h.db.db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, subscriptionId));
  return row!;
}
