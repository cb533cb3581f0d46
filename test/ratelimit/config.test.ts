/** The RATE_LIMIT_* variables: their defaults, and a bad value names its variable. */
import { ConfigError, loadConfig } from '../../lib/config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ NODE_ENV: 'development', ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => p.name);
    throw err;
  }
  return [];
}

test('limits are on by default, except under NODE_ENV=test, and RATE_LIMIT_ENABLED decides when set', () => {
  expect(loadConfig({ NODE_ENV: 'development' }).rateLimit.enabled).toBe(true);
  expect(loadConfig({ NODE_ENV: 'test' }).rateLimit.enabled).toBe(false);
  expect(loadConfig({ NODE_ENV: 'test', RATE_LIMIT_ENABLED: 'true' }).rateLimit.enabled).toBe(true);
  expect(loadConfig({ NODE_ENV: 'development', RATE_LIMIT_ENABLED: 'false' }).rateLimit.enabled).toBe(false);
});

test('the defaults: checkout strictest, then writes, then reads; loopback is the trusted proxy', () => {
  const { rateLimit } = loadConfig({ NODE_ENV: 'development' });
  expect(rateLimit).toMatchObject({
    checkout: { points: 10, windowMs: 60_000 },
    write: { points: 120, windowMs: 60_000 },
    read: { points: 1200, windowMs: 60_000 },
    readSyncMs: 250,
    storeTimeoutMs: 1000,
    trustedProxies: [{ address: '127.0.0.1' }, { address: '::1' }],
  });
});

test('rules are requests/window and proxies are addresses or CIDR ranges', () => {
  const config = loadConfig({
    NODE_ENV: 'development',
    RATE_LIMIT_CHECKOUT: '3/30s',
    RATE_LIMIT_TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8,192.0.2.1',
  });
  expect(config.rateLimit.checkout).toEqual({ points: 3, windowMs: 30_000 });
  expect(config.rateLimit.trustedProxies).toEqual([
    { address: '10.0.0.0', prefix: 8 },
    { address: 'fd00::', prefix: 8 },
    { address: '192.0.2.1', prefix: undefined },
  ]);
  expect(problemsOf({ RATE_LIMIT_CHECKOUT: '10' })).toEqual(['RATE_LIMIT_CHECKOUT']);
  expect(problemsOf({ RATE_LIMIT_WRITE: '0/1m' })).toEqual(['RATE_LIMIT_WRITE']);
  expect(problemsOf({ RATE_LIMIT_READ: '5/500ms' })).toEqual(['RATE_LIMIT_READ']);
  expect(problemsOf({ RATE_LIMIT_ENABLED: 'yes' })).toEqual(['RATE_LIMIT_ENABLED']);
  expect(problemsOf({ RATE_LIMIT_TRUSTED_PROXIES: '10.0.0.0/33' })).toEqual(['RATE_LIMIT_TRUSTED_PROXIES']);
  expect(problemsOf({ RATE_LIMIT_TRUSTED_PROXIES: 'haproxy' })).toEqual(['RATE_LIMIT_TRUSTED_PROXIES']);
  expect(problemsOf({ RATE_LIMIT_READ_SYNC: 'soon' })).toEqual(['RATE_LIMIT_READ_SYNC']);
});
