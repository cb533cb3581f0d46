/** Builds the activities' dependencies from config: the one place production parts are chosen. */
import type { ActivityDeps } from '../activities';
import type { Db } from '../db/client';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { createSandboxProvider } from '../activities/payments/sandbox';
import { createStripeProvider } from '../activities/payments/stripe';
import { createNotificationChannels } from '../activities/notifications/build';

export interface BuiltDeps {
  deps: ActivityDeps;
  /** Closes what was opened here (mail transports and the like); the database is the caller's. */
  close(): Promise<void>;
}

export async function createActivityDeps(opts: { config: Config; db: Db; log: Logger }): Promise<BuiltDeps> {
  const stripe = opts.config.payment.stripe;
  const payments = stripe
    ? createStripeProvider({ secretKey: stripe.secretKey, apiBase: stripe.apiBase, db: opts.db })
    : createSandboxProvider(opts.db);
  const notify = createNotificationChannels(opts.config, opts.log);
  const deps: ActivityDeps = {
    db: opts.db,
    config: opts.config,
    clock: () => new Date(),
    payments,
    channels: notify.channels,
  };
  return { deps, close: () => notify.close() };
}
