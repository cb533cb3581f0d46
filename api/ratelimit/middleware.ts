/**
 * Rate limits per caller: the bearer token's subject, or the client IP for anonymous calls. Three policies, checked by
 * method and path: `checkout` (POST /checkout, the strictest), `write` (any other POST, PUT, PATCH, DELETE) and `read`.
 * Every limited response carries the RateLimit-Policy and RateLimit fields of draft-ietf-httpapi-ratelimit-headers-10;
 * a refusal is a 429 problem+json with Retry-After. Health checks, the API documents and the signed payment webhook
 * are not limited. docs/api.md "Rate limits" explains the choices.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Db } from '../../db/client';
import type { RateLimitConfig, RateLimitRule } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { AppEnv } from '../env';
import { HttpProblem } from '../problem';
import { setResponseHeader } from '../request-id';
import { batchedLimiter } from './batched';
import { clientIp, trustedProxyList } from './client-ip';
import { sharedLimiter, storeLimiterOf, type Limiter, type Verdict } from './limiters';

export const RATE_LIMIT_POLICIES = ['checkout', 'write', 'read'] as const;
export type RateLimitPolicy = (typeof RATE_LIMIT_POLICIES)[number];

export const RATE_LIMITED_TYPE = 'https://orderly.dev/problems/rate-limited';

const UNLIMITED = [
  /^\/health$/,
  /^\/ready$/,
  /^\/metrics$/,
  /^\/openapi\.json$/,
  /^\/docs(\/|$)/,
  /^\/payments\/webhook$/,
  /^\/payments\/stripe\/webhook$/,
];
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The policy a request falls under, or undefined when it is not limited. */
export function policyOf(method: string, path: string): RateLimitPolicy | undefined {
  if (UNLIMITED.some((re) => re.test(path))) return undefined;
  if (READ_METHODS.has(method)) return 'read';
  return method === 'POST' && path === '/checkout' ? 'checkout' : 'write';
}

export interface RateLimitOptions {
  db: Db;
  config: RateLimitConfig;
  log: Logger;
  /**
   * Called once per refused request with the policy that refused it; api/app.ts counts it in
   * orderly_http_rate_limited_total.
   */
  onLimited?: (policy: RateLimitPolicy, c: Context<AppEnv>) => void;
}

/** A store failure is logged at most this often per process, not once per request. */
const STORE_FAILURE_LOG_INTERVAL_MS = 10_000;

function headersOf(name: RateLimitPolicy, rule: RateLimitRule, verdict: Verdict): Record<string, string> {
  const reset = Math.ceil(verdict.resetMs / 1000);
  return {
    'RateLimit-Policy': `"${name}";q=${rule.points};w=${Math.ceil(rule.windowMs / 1000)}`,
    RateLimit: `"${name}";r=${verdict.remaining};t=${reset}`,
  };
}

export function rateLimit(opts: RateLimitOptions): MiddlewareHandler<AppEnv> {
  const { config } = opts;
  if (!config.enabled) return (_c, next) => next();

  let lastFailureLog = 0;
  const onStoreFailure = () => {
    const now = Date.now();
    if (now - lastFailureLog < STORE_FAILURE_LOG_INTERVAL_MS) return;
    lastFailureLog = now;
    opts.log.warn('rate limit store unavailable or slow: each replica limits on its own until it answers');
  };
  const common = { db: opts.db, storeTimeoutMs: config.storeTimeoutMs, onStoreFailure };
  const limiters: Record<RateLimitPolicy, Limiter> = {
    checkout: sharedLimiter({ ...common, name: 'checkout', rule: config.checkout, sweep: true }),
    write: sharedLimiter({ ...common, name: 'write', rule: config.write, sweep: false }),
    read: batchedLimiter(
      storeLimiterOf({ ...common, name: 'read', rule: config.read, sweep: false }),
      config.read.points,
      config.readSyncMs,
    ),
  };
  const trusted = trustedProxyList(config.trustedProxies);

  return async (c, next) => {
    const policy = policyOf(c.req.method, c.req.path);
    if (!policy) return next();
    const user = c.get('user');
    const key = user ? `u:${user.sub}` : `ip:${clientIp(c, trusted)}`;
    const verdict = await limiters[policy].consume(key);
    const headers = headersOf(policy, config[policy], verdict);
    if (!verdict.allowed) {
      opts.onLimited?.(policy, c);
      const retryAfter = String(Math.max(1, Math.ceil(verdict.resetMs / 1000)));
      throw new HttpProblem(429, `Too many requests under the "${policy}" limit; retry in ${retryAfter} s.`, {
        type: RATE_LIMITED_TYPE,
        headers: { ...headers, 'Retry-After': retryAfter },
        extensions: { policy },
      });
    }
    await next();
    setResponseHeader(c, 'RateLimit-Policy', headers['RateLimit-Policy']!);
    setResponseHeader(c, 'RateLimit', headers.RateLimit!);
  };
}
