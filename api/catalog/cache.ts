/**
 * A bounded LRU with a short TTL for product-by-id. Entries carry the pre-serialised JSON and ETag so a hit costs a
 * Map lookup. Writes in this process invalidate immediately; other processes see a write within the TTL.
 */
export interface CachedProduct {
  body: string;
  etag: string;
  /** Visible to the public (active and not archived); hidden ones are only served to admins. */
  visible: boolean;
  expiresAt: number;
}

export interface ProductCacheOptions {
  maxEntries?: number;
  ttlMs?: number;
  now?: () => number;
}

export const PRODUCT_CACHE_MAX_ENTRIES = 10_000;
export const PRODUCT_CACHE_TTL_MS = 5_000;

export class ProductCache {
  private readonly map = new Map<string, CachedProduct>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /**
   * Bumped by every invalidation. A read that started before an invalidation must not store what it read,
   * or a slow read could put back a value older than a write that finished meanwhile.
   */
  private epochValue = 0;

  constructor(opts: ProductCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? PRODUCT_CACHE_MAX_ENTRIES;
    this.ttlMs = opts.ttlMs ?? PRODUCT_CACHE_TTL_MS;
    this.now = opts.now ?? Date.now;
  }

  get epoch(): number {
    return this.epochValue;
  }

  get size(): number {
    return this.map.size;
  }

  get(id: string): CachedProduct | undefined {
    const entry = this.map.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.map.delete(id);
      return undefined;
    }
    // Re-insert so Map order is least-recently-used first.
    this.map.delete(id);
    this.map.set(id, entry);
    return entry;
  }

  /** Stores unless an invalidation happened since `epoch` was read. */
  set(id: string, value: Omit<CachedProduct, 'expiresAt'>, epoch: number): void {
    if (epoch !== this.epochValue) return;
    this.map.delete(id);
    this.map.set(id, { ...value, expiresAt: this.now() + this.ttlMs });
    if (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }

  invalidate(id: string): void {
    this.epochValue++;
    this.map.delete(id);
  }
}
