/** What activities are built from: production and tests wire the same factories to different parts. */
import type { Db } from '../db/client';
import type { Config } from '../lib/config';
import type { NotificationChannels } from './notifications/channel';
import type { PaymentProvider } from './payments/provider';

export interface ActivityDeps {
  db: Db;
  config: Config;
  /** Wall clock for timestamps written by activities (tests may pin it). */
  clock: () => Date;
  /** Delivery channels for order notifications (email always; sms/push when their webhook URL is configured). */
  channels: NotificationChannels;
  /** The card processor (the sandbox provider in development and tests). */
  payments: PaymentProvider;
}
