/**
 * The limiters behind api/ratelimit/middleware.ts, from rate-limiter-flexible: counters in PostgreSQL (RateLimiterDrizzle
 * over the app's own drizzle client, one atomic upsert per consume) so every replica counts against the same window;
 * a store call that fails or takes longer than storeTimeoutMs is answered by a per-process RateLimiterMemory with the
 * same rule (RLWrapperTimeouts + insuranceLimiter): while the store is down each replica still limits on its own.
 */
import { RateLimiterDrizzle, RateLimiterMemory, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible';
import type { Db } from '../../db/client';
import { rateLimits } from '../../db/schema';
import type { RateLimitRule } from '../../lib/config';

export interface Verdict {
  allowed: boolean;
  remaining: number;
  /** Until the window ends (allowed) or until a request would be allowed again (refused). */
  resetMs: number;
}

export interface Limiter {
  consume(key: string): Promise<Verdict>;
}

/** The answer of rate-limiter-flexible's consume(): resolves with a RateLimiterRes when allowed, rejects with one when not. */
export async function verdictOf(consumed: Promise<RateLimiterRes>): Promise<Verdict> {
  try {
    const res = await consumed;
    return { allowed: true, remaining: res.remainingPoints, resetMs: res.msBeforeNext };
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    return { allowed: false, remaining: 0, resetMs: err.msBeforeNext };
  }
}

export interface StoreLimiterOptions {
  db: Db;
  /** Names the counters of this rule in the shared table ('checkout:u:<sub>'). */
  name: string;
  rule: RateLimitRule;
  storeTimeoutMs: number;
  /** Called when the store failed or timed out and the per-process limit answered instead. */
  onStoreFailure: () => void;
  /** Whether this limiter sweeps long-expired rows (one per process is enough: they share the table). */
  sweep: boolean;
}

/** A per-process limiter that says when it is used: it only answers when the shared store did not. */
class Insurance extends RateLimiterMemory {
  constructor(
    opts: ConstructorParameters<typeof RateLimiterMemory>[0],
    private readonly onUse: () => void,
  ) {
    super(opts);
  }
  override consume(...args: Parameters<RateLimiterMemory['consume']>) {
    this.onUse();
    return super.consume(...args);
  }
}

/** The rate-limiter-flexible limiter (shared store, per-process insurance) of one rule. */
export function storeLimiterOf(opts: StoreLimiterOptions): RLWrapperTimeouts {
  const duration = opts.rule.windowMs / 1000;
  const common = { points: opts.rule.points, duration, keyPrefix: opts.name };
  const store = new RateLimiterDrizzle({
    ...common,
    storeClient: opts.db,
    schema: rateLimits,
    clearExpiredByTimeout: opts.sweep,
    // A caller who has used its window is refused from memory until the window ends: no more round trips for it.
    inMemoryBlockOnConsumed: opts.rule.points,
  });
  return new RLWrapperTimeouts({
    limiter: store,
    timeoutMs: opts.storeTimeoutMs,
    insuranceLimiter: new Insurance(common, opts.onStoreFailure),
  });
}

/** Every request goes to the shared counter: exact across replicas, one database round trip per request. */
export function sharedLimiter(opts: StoreLimiterOptions): Limiter {
  const limiter = storeLimiterOf(opts);
  return { consume: (key) => verdictOf(limiter.consume(key, 1)) };
}
