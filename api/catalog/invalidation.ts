/**
 * Keeps this process's catalog caches in step with every write committed anywhere: the products trigger (migration
 * 0002_catalog_notify) notifies CATALOG_CHANNEL at commit, and every API process drops what it names. While the
 * channel is down the caches store nothing (reads go to the database), and they start empty when it is back, since
 * notifications sent meanwhile are lost.
 */
import type { Listen, Subscription } from '../../db/listen';
import type { Logger } from '../../lib/logger';
import type { PageCache, ProductCache } from './cache';

export const CATALOG_CHANNEL = 'orderly_catalog';

export interface CatalogCaches {
  cache: ProductCache;
  pages: PageCache;
}

/** What one notification asks for: a product's stock changed, a product changed otherwise, or anything changed. */
export function applyCatalogNotification(caches: CatalogCaches, payload: string): void {
  const colon = payload.indexOf(':');
  const kind = colon < 0 ? payload : payload.slice(0, colon);
  const id = payload.slice(colon + 1);
  if (kind === 'stock') {
    // Listing pages show stock too, but keep their 1 s TTL: clearing them on every checkout would void them under load.
    caches.cache.invalidate(id);
  } else if (kind === 'product') {
    caches.cache.invalidate(id);
    caches.pages.clear();
  } else {
    caches.cache.clear();
    caches.pages.clear();
  }
}

export function followCatalogChanges(listen: Listen, caches: CatalogCaches, log: Logger): Subscription {
  const both = (fn: 'pause' | 'resume') => {
    caches.cache[fn]();
    caches.pages[fn]();
  };
  // Nothing is cached until the first LISTEN is in place.
  both('pause');
  let down = false;
  return listen(CATALOG_CHANNEL, {
    onNotify: (payload) => applyCatalogNotification(caches, payload),
    onListening: () => {
      both('resume');
      if (down) log.info('catalog change notifications are back: caches emptied and in use again');
      down = false;
    },
    onLost: (err) => {
      both('pause');
      if (!down) log.warn({ err }, 'catalog change notifications lost: serving the catalog uncached until they return');
      down = true;
    },
  });
}
