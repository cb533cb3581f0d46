import { ProductCache } from '../../api/catalog/cache';

const entry = (v: number) => ({ body: `{"v":${v}}`, etag: `"x.${v}"`, visible: true });

test('evicts the least recently used entry past its bound', () => {
  const cache = new ProductCache({ maxEntries: 2 });
  cache.set('a', entry(1), cache.epoch);
  cache.set('b', entry(1), cache.epoch);
  cache.get('a'); // a is now the most recent
  cache.set('c', entry(1), cache.epoch);
  expect(cache.get('b')).toBeUndefined();
  expect(cache.get('a')).toBeDefined();
  expect(cache.get('c')).toBeDefined();
  expect(cache.size).toBe(2);
});

test('entries expire after the TTL, the bound for a process that hears no notifications', () => {
  let now = 1_000;
  const cache = new ProductCache({ ttlMs: 5_000, now: () => now });
  cache.set('a', entry(1), cache.epoch);
  now += 4_999;
  expect(cache.get('a')).toBeDefined();
  now += 1;
  expect(cache.get('a')).toBeUndefined();
});

test('a read that began before a write cannot store its stale value afterwards', () => {
  const cache = new ProductCache();
  const epochAtRead = cache.epoch; // a slow read starts
  cache.invalidate('a'); // a write commits meanwhile
  cache.set('a', entry(1), epochAtRead); // the slow read finishes with the old row
  expect(cache.get('a')).toBeUndefined();
  cache.set('a', entry(2), cache.epoch);
  expect(cache.get('a')?.etag).toBe('"x.2"');
});

test('invalidating one product does not stop a read of another from storing (checkouts invalidate all the time)', () => {
  const cache = new ProductCache();
  const epochAtRead = cache.epoch; // a read of b starts
  cache.invalidate('a'); // a checkout changes a's stock meanwhile
  cache.set('b', entry(1), epochAtRead);
  expect(cache.get('b')).toBeDefined();
});

test('paused, nothing is stored; resumed, it starts empty and stores again', () => {
  const cache = new ProductCache();
  cache.set('a', entry(1), cache.epoch);
  cache.pause();
  expect(cache.get('a')).toBeUndefined();
  cache.set('a', entry(2), cache.epoch);
  expect(cache.get('a')).toBeUndefined();
  const epochAtRead = cache.epoch; // a read that began while paused must not store after the resume either
  cache.resume();
  cache.set('a', entry(3), epochAtRead);
  expect(cache.get('a')).toBeUndefined();
  cache.set('a', entry(4), cache.epoch);
  expect(cache.get('a')?.etag).toBe('"x.4"');
});
