/**
 * LISTEN on a channel, kept alive: on PostgreSQL over a connection of its own that is opened again whenever it drops;
 * on PGlite (one process, one session) through its own listen. The handlers hear when notifications may have been
 * missed, so a cache can stop trusting itself until the channel is back.
 */
import postgres from 'postgres';

export interface ChannelHandlers {
  onNotify(payload: string): void;
  /** LISTEN is in place: the first time, and again after every reconnect. What was sent before may be missed. */
  onListening(): void;
  /** The listening connection is gone (or could not be opened); notifications are missed until onListening. */
  onLost(err: unknown): void;
}

export interface Subscription {
  close(): Promise<void>;
}

export type Listen = (channel: string, handlers: ChannelHandlers) => Subscription;

/** Reconnect delays: 100 ms doubling up to 5 s, so a restarting database is not hammered. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5_000;

/** How the listening connections show in pg_stat_activity. */
export const LISTEN_APPLICATION_NAME = 'orderly-listen';

const quoted = (channel: string) => `"${channel.replace(/"/g, '""')}"`;

/**
 * postgres.js's own `sql.listen` re-listens after a drop but gives up silently if that first attempt fails (the
 * database still restarting), and says nothing about the drop itself. This keeps retrying and reports both.
 */
export function listenPostgres(url: string, channel: string, handlers: ChannelHandlers): Subscription {
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let attempt = 0;
  const options = {
    max: 1,
    // Never closed for being idle or old: a LISTEN connection is idle by nature.
    idle_timeout: 0,
    max_lifetime: null,
    fetch_types: false,
    connection: { application_name: LISTEN_APPLICATION_NAME },
    onnotice: () => {},
    onclose: () => lost(new Error('the listening connection closed')),
    // Not in postgres.js's types, but an option it reads (its own sql.listen uses it): every NotificationResponse.
    onnotify: (ch: string, payload: string) => {
      if (ch === channel && !stopped) handlers.onNotify(payload);
    },
  };
  const client = postgres(url, options);

  function lost(err: unknown) {
    if (stopped || retryTimer) return;
    handlers.onLost(err);
    const delay = Math.min(RETRY_FIRST_MS * 2 ** attempt++, RETRY_MAX_MS);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void subscribe();
    }, delay);
  }

  async function subscribe() {
    try {
      await client.unsafe(`listen ${quoted(channel)}`);
      if (stopped) return;
      attempt = 0;
      handlers.onListening();
    } catch (err) {
      lost(err);
    }
  }

  void subscribe();
  return {
    async close() {
      stopped = true;
      clearTimeout(retryTimer);
      await client.end({ timeout: 1 });
    },
  };
}

interface PgliteListener {
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

/** PGlite is one session in this process: the channel never drops, and every writer shares it. */
export function listenPglite(client: PgliteListener, channel: string, handlers: ChannelHandlers): Subscription {
  const ready = client.listen(channel, handlers.onNotify).then(
    (unlisten) => {
      handlers.onListening();
      return unlisten;
    },
    (err: unknown) => {
      handlers.onLost(err);
      return undefined;
    },
  );
  return {
    async close() {
      await (
        await ready
      )?.();
    },
  };
}

/** Subscriptions are closed with the handle, so whoever closes the database does not have to know of them. */
export function subscriptions(listen: Listen) {
  const open = new Set<Subscription>();
  return {
    listen: ((channel, handlers) => {
      const sub = listen(channel, handlers);
      const tracked = { close: () => (open.delete(tracked), sub.close()) };
      open.add(tracked);
      return tracked;
    }) satisfies Listen,
    closeAll: () => Promise.all([...open].map((s) => s.close())),
  };
}
