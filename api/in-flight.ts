/**
 * The requests a process is still answering, so shutdown can wait for them and then abort their Temporal calls
 * (a cancel's Update may wait on its workflow for a long time) before the Temporal connection closes under them.
 */
import { setMaxListeners } from 'node:events';
import type { Client } from '@temporalio/client';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env';

export class InFlightRequests {
  private readonly aborter = new AbortController();
  private readonly running = new Set<Promise<unknown>>();

  constructor() {
    // One listener per request in flight: as many as there are concurrent requests, not a leak.
    setMaxListeners(0, this.aborter.signal);
  }

  get size(): number {
    return this.running.size;
  }

  /**
   * Every Temporal call made while answering a request carries the shutdown signal. Requests for which
   * `mayCallTemporal` says no (catalog reads) are only counted: a signal and an async context per request are a
   * visible share of a cached read.
   */
  middleware(temporal: Client, mayCallTemporal: (c: Context) => boolean = () => true): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      if (!mayCallTemporal(c)) {
        const done = next();
        this.running.add(done);
        try {
          return await done;
        } finally {
          this.running.delete(done);
        }
      }
      // One signal per request, linked to the shutdown signal only while the request runs: Temporal calls add
      // listeners to the signal they are given, which must not pile up on one that lives as long as the process.
      const own = new AbortController();
      const onShutdown = () => own.abort(this.aborter.signal.reason);
      this.aborter.signal.addEventListener('abort', onShutdown, { once: true });
      const done = temporal
        .withAbortSignal(own.signal, () => next())
        .finally(() => this.aborter.signal.removeEventListener('abort', onShutdown));
      this.running.add(done);
      try {
        await done;
      } finally {
        this.running.delete(done);
      }
    };
  }

  /** Resolves true once no request is running, false if some still are after `ms`. */
  async settled(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      while (this.running.size > 0) {
        const all = Promise.allSettled([...this.running]).then(() => true as const);
        if (!(await Promise.race([all, timeout]))) return false;
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Fails the Temporal calls still waiting; their requests answer 503 (see app.onError). */
  abort(): void {
    this.aborter.abort(new ShuttingDownError());
  }

  get aborted(): boolean {
    return this.aborter.signal.aborted;
  }
}

export class ShuttingDownError extends Error {
  constructor() {
    super('the API is shutting down');
    this.name = 'ShuttingDownError';
  }
}
