/** Builds the notification channels from config: pooled SMTP for email, webhook adapters for SMS and push. */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { NotificationChannels } from './channel';
import { emailChannel } from './email';
import { webhookChannel } from './webhook';

/** Kept below the email activity's 30s start-to-close timeout, so a hung send ends before Temporal retries it. */
export const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

export function createNotificationChannels(
  config: Config,
  log: Logger,
): { channels: NotificationChannels; close(): Promise<void> } {
  let transport: Transporter;
  if (config.smtp.url) {
    transport = nodemailer.createTransport({ url: config.smtp.url, pool: true, maxConnections: 5, ...SMTP_TIMEOUTS });
  } else {
    // No SMTP server configured (unit-level tests, a bare worker): messages are rendered but go nowhere.
    log.warn(
      'SMTP_URL is not set: order emails are rendered but not delivered (make start sets it to the embedded sink)',
    );
    transport = nodemailer.createTransport({ jsonTransport: true });
  }
  const channels: NotificationChannels = { email: emailChannel(transport, config.smtp.from) };
  if (config.notify.smsWebhookUrl) channels.sms = webhookChannel('sms', config.notify.smsWebhookUrl);
  if (config.notify.pushWebhookUrl) channels.push = webhookChannel('push', config.notify.pushWebhookUrl);
  return {
    channels,
    close: async () => {
      transport.close();
    },
  };
}
