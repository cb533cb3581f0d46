/** Builds the activities' dependencies from config: the one place production parts are chosen. */
import type { ActivityDeps } from '../activities';
import type { Db } from '../db/client';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { createSandboxProvider } from '../activities/payments/sandbox';
import { createNotificationChannels } from '../activities/notifications/build';

export interface BuiltDeps {
  deps: ActivityDeps;
  /** Closes what was opened here (mail transports and the like); the database is the caller's. */
  close(): Promise<void>;
}

export async function createActivityDeps(opts: { config: Config; db: Db; log: Logger }): Promise<BuiltDeps> {
  // PAYMENT_PROVIDER only allows 'sandbox' today; a real provider would be chosen here.
  const payments = createSandboxProvider(opts.db);
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
