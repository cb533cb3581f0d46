/**
 * Bounded LRU caches with a TTL for the catalog read path. Entries hold pre-serialised JSON so a hit costs a Map
 * lookup. Writes in this process invalidate at once; every other write reaches them through the database's
 * notifications (invalidation.ts), and the TTL bounds what a process without them may serve.
 */
export interface CachedProduct {
  body: string;
  etag: string;
  /** Visible to the public (active and not archived); hidden ones are only served to admins. */
  visible: boolean;
}

export interface LruOptions {
  maxEntries: number;
  ttlMs: number;
  now?: () => number;
}

export const PRODUCT_CACHE = { maxEntries: 10_000, ttlMs: 30_000 };
/** Listing pages: a micro-cache, so a burst of identical browse requests costs one query per second. */
export const PAGE_CACHE = { maxEntries: 1_000, ttlMs: 1_000 };

export class LruCache<V> {
  private readonly map = new Map<string, { value: V; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /**
   * Bumped by every invalidation. A read that started before an invalidation must not store what it read,
   * or a slow read could put back a value older than a write that finished meanwhile.
   */
  private epochValue = 0;
  /**
   * The epoch of each key's latest invalidation, so that invalidating one key does not stop reads of others from
   * storing. Bounded: past maxEntries keys it is emptied and `clearedAt` moves up, which refuses every read in flight.
   */
  private readonly invalidatedAt = new Map<string, number>();
  private clearedAt = 0;
  /** While paused nothing is stored: invalidations may be being missed (see invalidation.ts). */
  private paused = false;

  constructor(opts: LruOptions) {
    this.maxEntries = opts.maxEntries;
    this.ttlMs = opts.ttlMs;
    this.now = opts.now ?? Date.now;
  }

  get epoch(): number {
    return this.epochValue;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    // Re-insert so Map order is least-recently-used first.
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }

  /** Stores unless this key was invalidated, or the cache cleared or paused, since `epoch` was read. */
  set(key: string, value: V, epoch: number): void {
    if (this.paused || epoch < this.clearedAt || (this.invalidatedAt.get(key) ?? 0) > epoch) return;
    this.map.delete(key);
    this.map.set(key, { value, expiresAt: this.now() + this.ttlMs });
    if (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }

  invalidate(key: string): void {
    this.epochValue++;
    this.map.delete(key);
    this.invalidatedAt.delete(key);
    this.invalidatedAt.set(key, this.epochValue);
    if (this.invalidatedAt.size > this.maxEntries) {
      this.invalidatedAt.clear();
      this.clearedAt = this.epochValue;
    }
  }

  clear(): void {
    this.epochValue++;
    this.map.clear();
    this.invalidatedAt.clear();
    this.clearedAt = this.epochValue;
  }

  /** Empties the cache and stores nothing until resume(): reads go to the database meanwhile. */
  pause(): void {
    this.paused = true;
    this.clear();
  }

  /** Empties the cache (what it held may have missed invalidations) and stores again. */
  resume(): void {
    this.clear();
    this.paused = false;
  }
}

export class ProductCache extends LruCache<CachedProduct> {
  constructor(opts: Partial<LruOptions> = {}) {
    super({ ...PRODUCT_CACHE, ...opts });
  }
}

export class PageCache extends LruCache<string> {
  constructor(opts: Partial<LruOptions> = {}) {
    super({ ...PAGE_CACHE, ...opts });
  }

  /**
   * The response body for `key`, from the cache or from `load`, as a JSON response. Admins may see hidden products,
   * so only public pages (the same for every other caller) are read from and stored in the cache.
   */
  async respond(key: string, admin: boolean, load: () => Promise<unknown>): Promise<Response> {
    let body = admin ? undefined : this.get(key);
    if (body === undefined) {
      const epoch = this.epoch;
      body = JSON.stringify(await load());
      if (!admin) this.set(key, body, epoch);
    }
    // Already-serialised JSON of the documented schema; the typed c.json would serialise it again.
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  }
}
