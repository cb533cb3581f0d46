/**
 * Two API replicas (own Temporal client, own database handle, one Temporal server and database) receiving the same
 * Idempotency-Key at the same moment, as a client retrying through a load balancer does: one order, one answer.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Client, Connection } from '@temporalio/client';
import { createApp, type App } from '../../api/app';
import { createDb, type DbHandle } from '../../db/client';
import { orders, sandboxLedger } from '../../db/schema';
import { createLogger } from '../../lib/logger';
import { encryptingDataConverter } from '../../lib/payload-codec';
import type { Harness } from '../support/harness';
import {
  checkoutBody,
  checkoutSuite,
  seedCart,
  seedProduct,
  shopper,
  waitForStatus,
  waitForWorkflowDone,
} from './helpers';

let h: Harness;
// Worker tuning away from its defaults, to see that the worker runs with what the environment says.
const tuning = {
  WORKER_ACTIVITY_SLOTS: '17',
  WORKER_WORKFLOW_TASK_SLOTS: '9',
  WORKER_LOCAL_ACTIVITY_SLOTS: '13',
  WORKER_STICKY_CACHE_SIZE: '300',
};
const book = checkoutSuite({ env: { CANCELLATION_WINDOW: '1s', ...tuning } }, (started) => (h = started));

let connectionB: Connection;
let dbB: DbHandle | undefined;
let appB: App;

beforeAll(async () => {
  connectionB = await Connection.connect({ address: process.env.ORDERLY_TEST_TEMPORAL_ADDRESS! });
  // On PostgreSQL replica B has its own pool; PGlite lives in one process, so B shares it.
  dbB = h.db.url ? await createDb({ url: h.db.url, max: 4 }) : undefined;
  appB = createApp({
    db: (dbB ?? h.db).db,
    temporal: new Client({
      connection: connectionB,
      namespace: h.config.temporal.namespace,
      dataConverter: encryptingDataConverter(h.config.payloadKeys),
    }),
    config: h.config,
    log: createLogger('silent', 'test'),
    clock: () => new Date(),
  });
});

afterAll(async () => {
  await connectionB?.close();
  await dbB?.close();
});

async function post(app: App, token: string, key: string, body: unknown) {
  const res = await app.request('/checkout', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { orderId: string; status: string } };
}

test('the same Idempotency-Key sent to two replicas at once starts one checkout, and both name its order', async () => {
  // Several keys, so the race goes both ways: sometimes A starts the workflow, sometimes B.
  const rounds = await Promise.all(
    Array.from({ length: 6 }, async () => {
      const who = await shopper(h);
      const cartId = await seedCart(h, who.id, [{ productId: await seedProduct(h, book), quantity: 1 }]);
      const key = randomUUID();
      const body = checkoutBody(cartId);
      return Promise.all([post(h.app, who.token, key, body), post(appB, who.token, key, body)]);
    }),
  );
  for (const answers of rounds) {
    expect(answers.map((a) => a.status).sort()).toEqual([200, 202]);
    const [orderId] = new Set(answers.map((a) => a.body.orderId));
    expect(answers.every((a) => a.body.orderId === orderId)).toBe(true);
    await waitForStatus(h, orderId!, ['confirmed']);
    await waitForWorkflowDone(h, orderId!);
    expect(await h.db.db.select().from(orders).where(eq(orders.id, orderId!))).toHaveLength(1);
    const captures = await h.db.db.select().from(sandboxLedger).where(eq(sandboxLedger.operation, 'capture'));
    expect(captures.filter((l) => l.idempotencyKey.includes(orderId!))).toHaveLength(1);
  }
});

test('the worker runs with the slots and sticky cache size the environment gives', () => {
  // The SDK compiles slot counts into fixed-size slot suppliers.
  expect(h.worker!.options).toMatchObject({
    maxCachedWorkflows: 300,
    tuner: {
      activityTaskSlotSupplier: { type: 'fixed-size', numSlots: 17 },
      workflowTaskSlotSupplier: { type: 'fixed-size', numSlots: 9 },
      localActivityTaskSlotSupplier: { type: 'fixed-size', numSlots: 13 },
    },
  });
});
