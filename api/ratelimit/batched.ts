/**
 * Reads are the hot path (GET /products/:id is served from memory in well under a millisecond), so a database round
 * trip per read would cost more than the read. This limiter counts a key's requests in the process and adds them to
 * the shared counter in one consume(key, n) at most every syncMs; each sync brings back the total that every replica
 * has added, which is what the next local decisions use. Only a key's first request in a window (in this process)
 * waits for the store. The price: between two syncs a replica does not see the others' requests, so across R
 * replicas a key can get up to R times what it had left at the last sync, for one sync interval.
 */
import type { RLWrapperTimeouts } from 'rate-limiter-flexible';
import { verdictOf, type Limiter, type Verdict } from './limiters';

interface Entry {
  /** The shared count as of the last answer from the store (every replica's requests, ours included). */
  shared: number;
  /** Requests allowed here since then, not yet added to the shared count. */
  pending: number;
  /** When the store's window for this key ends (epoch ms). */
  resetAt: number;
  syncing: boolean;
}

/** Keys held at most; beyond it requests go straight to the store until expired keys are dropped. */
const MAX_KEYS = 100_000;

export function batchedLimiter(store: RLWrapperTimeouts, points: number, syncMs: number): Limiter {
  const entries = new Map<string, Entry>();

  const record = (entry: Entry, verdict: Verdict, now: number) => {
    entry.shared = verdict.allowed ? points - verdict.remaining : points;
    entry.resetAt = now + verdict.resetMs;
  };

  const sync = async (key: string, entry: Entry) => {
    const n = entry.pending;
    entry.pending = 0;
    if (n === 0) {
      entry.syncing = false;
      return;
    }
    try {
      const verdict = await verdictOf(store.consume(key, n));
      record(entry, verdict, Date.now());
    } catch {
      // Store and insurance both failed: keep the local count; the next sync carries it.
      entry.pending += n;
    } finally {
      entry.syncing = false;
    }
  };

  const schedule = (key: string, entry: Entry) => {
    if (entry.syncing) return;
    entry.syncing = true;
    setTimeout(() => void sync(key, entry), syncMs).unref();
  };

  const sweep = (now: number) => {
    for (const [key, entry] of entries) if (entry.resetAt <= now && !entry.syncing) entries.delete(key);
  };

  return {
    async consume(key) {
      const now = Date.now();
      const entry = entries.get(key);
      if (!entry || entry.resetAt <= now) {
        // A new window for this key here: ask the store, which also tells what the other replicas counted.
        const verdict = await verdictOf(store.consume(key, 1));
        const after = Date.now();
        // Another request for the key may have set an entry meanwhile; the local count of an ended window is dropped.
        let current = entries.get(key);
        if (current && current.resetAt <= now) current.pending = 0;
        if (!current) {
          if (entries.size >= MAX_KEYS) sweep(after);
          if (entries.size < MAX_KEYS) {
            current = { shared: 0, pending: 0, resetAt: 0, syncing: false };
            entries.set(key, current);
          }
        }
        if (current) record(current, verdict, after);
        return verdict;
      }
      const used = entry.shared + entry.pending;
      const resetMs = Math.max(entry.resetAt - now, 0);
      if (used >= points) return { allowed: false, remaining: 0, resetMs };
      entry.pending += 1;
      schedule(key, entry);
      return { allowed: true, remaining: points - used - 1, resetMs };
    },
  };
}
