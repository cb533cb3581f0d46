import { createNotificationActivities } from '../../activities/notifications/activities';
import type { NotificationChannel } from '../../activities/notifications/channel';
import type { Harness } from '../support/harness';
import type { TestSmtp } from '../support/smtp';
import { eventsFor, mailSuite, rowsFor, runNotify, seedOrder } from './fixtures';

/** Faults armed per test: how many times to fail before the SMTP send, and after the row is marked sent. */
const faults = { beforeSend: 0, afterMark: 0 };

let smtp: TestSmtp;
let h: Harness;
mailSuite(
  (started, harness) => {
    smtp = started;
    h = harness;
  },
  {
    // The real activity, with the email channel and the activity's return wrapped to inject faults.
    activities: (deps) => {
      const realEmail = deps.channels.email!;
      const flakyEmail: NotificationChannel = {
        name: 'email',
        async send(message, signal) {
          if (faults.beforeSend > 0) {
            faults.beforeSend -= 1;
            throw new Error('injected: connection reset before the message was sent');
          }
          return realEmail.send(message, signal);
        },
      };
      const real = createNotificationActivities({ ...deps, channels: { ...deps.channels, email: flakyEmail } });
      return {
        ...real,
        async sendOrderNotification(input: Parameters<typeof real.sendOrderNotification>[0]) {
          const outcome = await real.sendOrderNotification(input);
          if (faults.afterMark > 0) {
            faults.afterMark -= 1;
            throw new Error('injected: worker lost after marking the notification sent');
          }
          return outcome;
        },
      };
    },
  },
);

test('an activity failing once before the send and once after the mark, then retried, ends with one email', async () => {
  const { orderId } = await seedOrder(h.db.db);
  faults.beforeSend = 1;
  faults.afterMark = 1;
  // Third attempt finds the row sent and returns without sending.
  await expect(runNotify(h, orderId)).resolves.toEqual({ email: 'already_sent' });
  expect(faults).toEqual({ beforeSend: 0, afterMark: 0 });

  expect(smtp.for(orderId)).toHaveLength(1);
  const [row] = await rowsFor(h.db.db, orderId);
  expect(row).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
  const types = (await eventsFor(h.db.db, orderId)).map((e) => e.type);
  expect(types.filter((t) => t === 'notification.sent')).toHaveLength(1);
  expect(types).not.toContain('notification.failed');
});

test('the attempt error is kept on the row while retries remain', async () => {
  const { orderId } = await seedOrder(h.db.db);
  faults.beforeSend = 2;
  await expect(runNotify(h, orderId)).resolves.toEqual({ email: 'sent' });
  const [row] = await rowsFor(h.db.db, orderId);
  expect(row).toMatchObject({ status: 'sent', attempts: 3 });
  expect(smtp.for(orderId)).toHaveLength(1);
});
