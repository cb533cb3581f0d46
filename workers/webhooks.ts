/**
 * The worker's part in webhook delivery outside Temporal: at start it wakes (or starts) the dispatcher of every
 * enabled subscription, and it listens on ORDER_EVENTS_CHANNEL (a trigger on order_events notifies at commit) to
 * wake them when events are written. Wake-ups are coalesced to one round per WAKE_COALESCE_MS; a missed one only
 * delays delivery until the dispatcher's own poll (WEBHOOK_POLL_INTERVAL).
 */
import type { Client } from '@temporalio/client';
import { ORDER_EVENTS_CHANNEL } from '../contract';
import type { Db } from '../db/client';
import type { Listen } from '../db/listen';
import { wakeAllWebhookDispatchers } from '../lib/webhook-dispatch';
import type { Logger } from '../lib/logger';

/** Events written within this window wake the dispatchers once. */
export const WAKE_COALESCE_MS = 200;

export interface WebhookWaker {
  /** Settles once the start-up round has run. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export function startWebhookWaker(opts: {
  db: Db;
  listen?: Listen;
  client: Client;
  taskQueue: string;
  log: Logger;
}): WebhookWaker {
  const log = opts.log.child({ component: 'webhook-waker' });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const round = async () => {
    try {
      const n = await wakeAllWebhookDispatchers(opts.db, opts.client, opts.taskQueue);
      log.debug({ subscriptions: n }, 'webhook dispatchers woken');
    } catch (err) {
      log.warn({ err }, 'could not wake the webhook dispatchers; they poll on their own');
    }
  };

  /** Runs one round now, or one more after the current one: never two at once, never a backlog. */
  const wake = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = round().finally(() => {
      running = undefined;
      if (again && !closed) {
        again = false;
        schedule();
      }
    });
    return running;
  };

  const schedule = () => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void wake();
    }, WAKE_COALESCE_MS);
  };

  const subscription = opts.listen?.(ORDER_EVENTS_CHANNEL, {
    onNotify: schedule,
    // Notifications sent while the channel was down are lost: one round covers them.
    onListening: schedule,
    onLost: (err) => log.warn({ err }, 'order event notifications lost: webhook dispatchers fall back to polling'),
  });
  const ready = wake();

  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      await subscription?.close();
      await running;
    },
  };
}
