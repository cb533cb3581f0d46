import { randomUUID } from 'node:crypto';
import type { Harness } from '../support/harness';
import type { TestSmtp } from '../support/smtp';
import { eventsFor, mailSuite, rowsFor, runNotify, seedOrder } from './fixtures';

let smtp: TestSmtp;
let h: Harness;
let admin: string;
let customer: string;
mailSuite((started, harness) => {
  smtp = started;
  h = harness;
});
beforeAll(async () => {
  admin = await h.token('admin');
  customer = await h.token('customer');
});

async function sentOrder() {
  const seeded = await seedOrder(h.db.db);
  await runNotify(h, seeded.orderId);
  const [row] = await rowsFor(h.db.db, seeded.orderId);
  return { ...seeded, notificationId: row!.id };
}

describe('GET /notifications', () => {
  test('needs a token (401) and the admin role (403)', async () => {
    expect((await h.call('GET', '/notifications')).status).toBe(401);
    const res = await h.call('GET', '/notifications', { token: customer });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  test('filters by order and status and pages with a cursor', async () => {
    const a = await sentOrder();
    const b = await sentOrder();
    const refused = await seedOrder(h.db.db);
    smtp.rejectCode = 550;
    await runNotify(h, refused.orderId);
    smtp.rejectCode = undefined;

    const byOrder = await h.call('GET', `/notifications?orderId=${a.orderId}`, { token: admin });
    expect(byOrder.status).toBe(200);
    expect(byOrder.body.items).toHaveLength(1);
    expect(byOrder.body.items[0]).toMatchObject({
      id: a.notificationId,
      orderId: a.orderId,
      kind: 'order_confirmed',
      channel: 'email',
      status: 'sent',
      attempts: 1,
      generation: 0,
    });
    expect(byOrder.body.nextCursor).toBeNull();

    const failed = await h.call('GET', '/notifications?status=failed', { token: admin });
    expect(failed.body.items.map((i: any) => i.orderId)).toEqual([refused.orderId]);
    expect(failed.body.items[0].lastError).toMatch(/550/);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res: any = await h.call('GET', `/notifications?status=sent&limit=1${cursor ? `&cursor=${cursor}` : ''}`, {
        token: admin,
      });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(1);
      seen.push(...res.body.items.map((i: any) => i.id));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining([a.notificationId, b.notificationId]));
    expect(seen.indexOf(b.notificationId)).toBeLessThan(seen.indexOf(a.notificationId)); // newest first
  });

  test('a bad filter or cursor is a 400', async () => {
    expect((await h.call('GET', '/notifications?status=lost', { token: admin })).status).toBe(400);
    expect((await h.call('GET', '/notifications?cursor=nonsense', { token: admin })).status).toBe(400);
  });
});

describe('POST /notifications/:id/resend', () => {
  test('an admin resend sends a second email with a new Message-ID and records it in the timeline', async () => {
    const { orderId, notificationId, email } = await sentOrder();
    const res = await h.call('POST', `/notifications/${notificationId}/resend`, { token: admin });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      notificationId,
      orderId,
      kind: 'order_confirmed',
      channel: 'email',
      generation: 1,
      workflowId: `notify-${orderId}-order_confirmed-r1`,
    });
    await expect(h.client.workflow.getHandle(res.body.workflowId).result()).resolves.toBe('sent');

    const mails = smtp.for(orderId);
    expect(mails.map((m) => m.messageId)).toEqual([
      `<order-${orderId}.order_confirmed.g0@orderly.local>`,
      `<order-${orderId}.order_confirmed.g1@orderly.local>`,
    ]);
    expect(mails[1]!.to).toEqual([email]);
    const [row] = await rowsFor(h.db.db, orderId);
    expect(row).toMatchObject({ status: 'sent', generation: 1, attempts: 1, messageId: mails[1]!.messageId });
    const events = (await eventsFor(h.db.db, orderId)).filter((e) => e.type.startsWith('notification.'));
    expect(events.map((e) => [e.type, (e.data as any).generation])).toEqual([
      ['notification.sent', 0],
      ['notification.resent', 1],
      ['notification.sent', 1],
    ]);

    // And again: generation 2.
    const again = await h.call('POST', `/notifications/${notificationId}/resend`, { token: admin });
    expect(again.body.generation).toBe(2);
    await h.client.workflow.getHandle(again.body.workflowId).result();
    expect(smtp.for(orderId)).toHaveLength(3);
  });

  test('a customer cannot resend (403), nor can an anonymous caller (401); an unknown id is 404', async () => {
    const { orderId, notificationId } = await sentOrder();
    expect((await h.call('POST', `/notifications/${notificationId}/resend`, { token: customer })).status).toBe(403);
    expect((await h.call('POST', `/notifications/${notificationId}/resend`)).status).toBe(401);
    expect((await h.call('POST', `/notifications/${randomUUID()}/resend`, { token: admin })).status).toBe(404);
    expect(smtp.for(orderId)).toHaveLength(1);
  });

  test('a double click while the first resend is still starting is a 409, not a second email', async () => {
    const { orderId, notificationId } = await sentOrder();
    await h.stopWorker(); // nothing runs the resend yet, so the row keeps generation 0
    try {
      const first = await h.call('POST', `/notifications/${notificationId}/resend`, { token: admin });
      expect(first.status).toBe(202);
      const second = await h.call('POST', `/notifications/${notificationId}/resend`, { token: admin });
      expect(second.status).toBe(409);
    } finally {
      await h.restartWorker();
    }
    await h.client.workflow.getHandle(`notify-${orderId}-order_confirmed-r1`).result();
    expect(smtp.for(orderId)).toHaveLength(2);
  });
});

describe('customer notification preferences', () => {
  test('need a token', async () => {
    expect((await h.call('GET', '/customers/me/preferences')).status).toBe(401);
    expect((await h.call('PUT', '/customers/me/preferences', { body: { channels: ['email'] } })).status).toBe(401);
  });

  test('default to email, change only for the caller, and refuse a channel without its contact', async () => {
    const sub = randomUUID();
    const me = await h.token('customer', sub);
    const other = await h.token('customer');
    expect((await h.call('GET', '/customers/me/preferences', { token: me })).body).toEqual({
      channels: ['email'],
      phone: null,
      pushToken: null,
    });

    const noPhone = await h.call('PUT', '/customers/me/preferences', {
      token: me,
      body: { channels: ['email', 'sms'] },
    });
    expect(noPhone.status).toBe(422);

    const ok = await h.call('PUT', '/customers/me/preferences', {
      token: me,
      body: { channels: ['email', 'sms'], phone: '+447700900123' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ channels: ['email', 'sms'], phone: '+447700900123', pushToken: null });
    // Omitted phone is kept; the push token is added.
    const push = await h.call('PUT', '/customers/me/preferences', {
      token: me,
      body: { channels: ['sms', 'push'], pushToken: 'device-token-1' },
    });
    expect(push.body).toEqual({ channels: ['sms', 'push'], phone: '+447700900123', pushToken: 'device-token-1' });
    expect((await h.call('GET', '/customers/me/preferences', { token: me })).body).toEqual(push.body);
    expect((await h.call('GET', '/customers/me/preferences', { token: other })).body.channels).toEqual(['email']);
  });

  test('validate the body', async () => {
    const me = await h.token('customer');
    for (const body of [
      { channels: [] },
      { channels: ['fax'] },
      { channels: ['email', 'email'] },
      { channels: ['email'], phone: '12345' },
      { channels: ['email'], extra: 1 },
    ]) {
      const res = await h.call('PUT', '/customers/me/preferences', { token: me, body });
      expect(res.status).toBe(400);
    }
  });
});
