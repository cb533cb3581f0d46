/** The Hono environment: dependencies injected once per app, the caller and a per-request logger. */
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import type { Listen } from '../db/listen';
import type { WebhookSubscriptionChange } from '../contract';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Tracing } from '../lib/tracing';
import type { AuthUser } from './auth';
import type { RateLimitPolicy } from './ratelimit/middleware';

export interface ReadyCheck {
  name: string;
  check: () => Promise<void>;
}

export interface AppDeps {
  db: Db;
  temporal: Client;
  config: Config;
  log: Logger;
  clock: () => Date;
  /**
   * The database's LISTEN (DbHandle.listen): with it, catalog caches follow writes made by every process, and the
   * subscription ends when the handle closes. Without it they rely on their TTL (fine for a lone process in tests).
   */
  listen?: Listen;
  /** Checks behind GET /ready beyond the database and Temporal (e.g. the in-process worker). */
  extraReadyChecks?: ReadyCheck[];
  /** Called for each request the rate limit refuses (the hook for the orderly_http_rate_limited_total counter). */
  onRateLimited?: (policy: RateLimitPolicy) => void;
  /** The process's tracing: with it, every request gets a server span (named by route template). */
  tracing?: Tracing;
  /**
   * Called after a webhook subscription is created, changed, rotated or deleted (api/routes/webhooks.ts), so delivery
   * can pick the change up at once. Unset: a no-op. A failure is logged; the admin's change stands.
   */
  onWebhookSubscriptionChanged?: (id: string, change: WebhookSubscriptionChange) => Promise<void> | void;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    user?: AuthUser;
    requestId: string;
    log: Logger;
  };
}
