/**
 * Catalog search shared by the listing and its facets: the filters of GET /products as SQL, the words of `q` as
 * tsqueries (exact prefixes, and the same widened by close words for typos), and the relevance score.
 */
import { eq, gt, gte, isNull, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { products, searchWords } from '../../db/schema';
import type { AuthUser } from '../auth';
import { forbidden } from '../problem';
import { LruCache } from './cache';

const ph = sql.placeholder;

/** At most this many words of q are searched; the rest are ignored. */
const MAX_WORDS = 16;
/** Shorter words get no typo tolerance: their trigrams say too little (tea ~ ten). */
const MIN_FUZZY_LENGTH = 4;
/** Close words added per query word, best first. */
const MAX_CORRECTIONS = 3;
/** Scores of rows matching every word as typed sit above every typo-only match (see relevanceScore). */
export const EXACT_TIER = 1_000_000;

function words(q: string): string[] {
  return (
    q
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu)
      ?.slice(0, MAX_WORDS) ?? []
  );
}

/** Words of q as a prefix tsquery ("gre te" -> "gre:* & te:*"); only letters and digits reach to_tsquery. */
export function toPrefixTsquery(q: string): string | undefined {
  const ws = words(q);
  return ws.length ? ws.map((w) => `${w}:*`).join(' & ') : undefined;
}

export interface SearchQuery {
  /** Every word as a prefix: what counts as an exact match. */
  exact: string;
  /** Each word as a prefix or one of its close words: what the search finds. */
  widened: string;
}

/** Lexemes that are safe inside a tsquery without quoting; others are never offered as corrections. */
const PLAIN_WORD = /^[\p{L}\p{N}]+$/u;
/** The vocabulary holds no word with a digit (migration search_quality), so such a query word is not looked up. */
const HAS_DIGIT = /\p{N}/u;
/**
 * Close words of recent query words: a walk through pages, or the same word under other filters, asks once. A word
 * added to the vocabulary meanwhile is offered at most this late.
 */
export const CLOSE_WORDS_CACHE = { maxEntries: 10_000, ttlMs: 5_000 };

/**
 * Turns q into tsqueries, looking up each longer word's closest indexed words (pg_trgm similarity above its
 * threshold, 0.3 by default) that it is not already a prefix of: "whte" finds "white", "shirt" adds nothing for
 * "shirts".
 */
export function createSearchQueryBuilder(db: Db, statementName = 'catalog_search_close_words') {
  const closeWords = db
    .select({ w: sql<string>`q.w`, word: sql<string>`v.word` })
    .from(
      sql`unnest(string_to_array(${ph('words')}, ' ')) as q(w) cross join lateral (
        select ${searchWords.word} as word from ${searchWords}
        where ${searchWords.word} % q.w and left(${searchWords.word}, length(q.w)) <> q.w
        order by similarity(${searchWords.word}, q.w) desc, ${searchWords.word}
        limit ${sql.raw(String(MAX_CORRECTIONS))}) v`,
    )
    .prepare(statementName);

  const cache = new LruCache<string[]>(CLOSE_WORDS_CACHE);

  return async function searchQuery(q: string | undefined): Promise<SearchQuery | undefined> {
    const ws = q === undefined ? [] : words(q);
    if (ws.length === 0) return undefined;
    const close = new Map<string, string[]>();
    const missing: string[] = [];
    for (const w of new Set(ws)) {
      if (w.length < MIN_FUZZY_LENGTH || HAS_DIGIT.test(w)) continue;
      const hit = cache.get(w);
      if (hit) close.set(w, hit);
      else missing.push(w);
    }
    if (missing.length > 0) {
      const epoch = cache.epoch;
      for (const w of missing) close.set(w, []);
      for (const { w, word } of await closeWords.execute({ words: missing.join(' ') })) {
        if (PLAIN_WORD.test(word)) close.get(w)?.push(word);
      }
      for (const w of missing) cache.set(w, close.get(w)!, epoch);
    }
    return {
      exact: ws.map((w) => `${w}:*`).join(' & '),
      widened: ws.map((w) => `(${[`${w}:*`, ...(close.get(w) ?? [])].join(' | ')})`).join(' & '),
    };
  };
}

/**
 * Relevance as an integer, so a keyset cursor holds it exactly: EXACT_TIER when every word matches as typed, plus
 * ts_rank_cd of the widened query (cover density; a word in the name weighs most, then category, then description)
 * scaled from [0, 1) to [0, EXACT_TIER). Uses the placeholders qExact and qWidened.
 */
export const relevanceScore: SQL<number> = sql<number>`(case when ${products.searchVector} @@ to_tsquery('simple', ${ph('qExact')}) then ${sql.raw(String(EXACT_TIER))} else 0 end + floor(ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', ${products.searchVector}, to_tsquery('simple', ${ph('qWidened')}), 32) * ${sql.raw(String(EXACT_TIER - 1))}))::int`;

export type Visibility = 'public' | 'inactive' | 'all';

/** Which filters a query has: one prepared statement per combination. */
export interface FilterShape {
  category: boolean;
  minPrice: boolean;
  maxPrice: boolean;
  inStock: boolean | undefined;
  q: boolean;
  visibility: Visibility;
}

/** The WHERE terms of a shape, over the placeholders category, minPrice, maxPrice and qWidened. */
export function filterTerms(s: FilterShape): SQL[] {
  const where: SQL[] = [];
  if (s.visibility === 'public') where.push(eq(products.active, true), isNull(products.archivedAt));
  if (s.visibility === 'inactive') where.push(isNull(products.archivedAt));
  if (s.category) where.push(eq(products.category, ph('category')));
  if (s.minPrice) where.push(gte(products.priceCents, ph('minPrice')));
  if (s.maxPrice) where.push(lte(products.priceCents, ph('maxPrice')));
  if (s.inStock === true) where.push(gt(products.stock, 0));
  if (s.inStock === false) where.push(eq(products.stock, 0));
  if (s.q) where.push(sql`${products.searchVector} @@ to_tsquery('simple', ${ph('qWidened')})`);
  return where;
}

export interface FilterQuery {
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
  includeInactive?: boolean;
  includeArchived?: boolean;
}

/** The shape and placeholder values of a query's filters; hidden products need the admin role. */
export function filtersOf(query: FilterQuery, search: SearchQuery | undefined, user: AuthUser | undefined) {
  if ((query.includeInactive || query.includeArchived) && user?.role !== 'admin') {
    throw forbidden('includeInactive and includeArchived need the admin role.');
  }
  const shape: FilterShape = {
    category: query.category !== undefined,
    minPrice: query.minPrice !== undefined,
    maxPrice: query.maxPrice !== undefined,
    inStock: query.inStock,
    q: search !== undefined,
    visibility: query.includeArchived ? 'all' : query.includeInactive ? 'inactive' : 'public',
  };
  const params = {
    category: query.category,
    minPrice: query.minPrice,
    maxPrice: query.maxPrice,
    qExact: search?.exact,
    qWidened: search?.widened,
  };
  return { shape, params };
}
