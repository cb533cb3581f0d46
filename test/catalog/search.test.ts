import { products } from '../../db/schema';
import { encodeCursor } from '../../api/catalog/cursor';
import { startHarness, type Harness } from '../support/harness';
import { productInput } from './fixtures';

interface Item {
  id: string;
  name: string;
  category: string;
  priceCents: number;
}

let h: Harness;
let admin: string;

// Hand-counted below: 8 visible named products, 1 hidden, and 30 kettles.
const NAMED = [
  { name: 'White cotton shirt', category: 'shirts', priceCents: 1999, description: 'soft' },
  { name: 'White linen shirt', category: 'shirts', priceCents: 3500, description: 'light' },
  { name: 'Black shirt', category: 'shirts', priceCents: 1500, description: 'plain' },
  { name: 'Whte label shirt', category: 'shirts', priceCents: 800, description: 'a brand spelled so' },
  { name: 'Snow mug', category: 'mugs', priceCents: 900, description: 'a white mug' },
  { name: 'White tea', category: 'tea', priceCents: 1200, description: 'loose leaf' },
  { name: 'Green tea', category: 'tea', priceCents: 600, description: 'loose leaf' },
  { name: 'Espresso cup', category: 'mugs', priceCents: 30_000, description: 'porcelain' },
  { name: 'Hidden white shirt', category: 'shirts', priceCents: 2000, description: 'soft', active: false },
];
// Kettle i: odd ones mention tea; prices 4000 to 8000, six of each.
const KETTLES = Array.from({ length: 30 }, (_, i) => ({
  name: `${['steel', 'glass', 'copper'][i % 3]} kettle ${i % 4}`,
  category: 'kettles',
  priceCents: 4000 + (i % 5) * 1000,
  description: i % 2 ? 'kettle for tea' : 'plain',
}));

beforeAll(async () => {
  h = await startHarness({ worker: false });
  admin = await h.token('admin');
  await h.db.db.insert(products).values([...NAMED, ...KETTLES].map((p) => productInput(p)));
});
afterAll(async () => {
  await h?.close();
});

async function list(query: string): Promise<Item[]> {
  const res = await h.call('GET', `/products?limit=100&${query}`);
  expect(res.status).toBe(200);
  expect(res.body.nextCursor).toBeNull();
  return res.body.items;
}

async function walk(query: string, limit: number): Promise<Item[]> {
  const seen: Item[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const url: string = `/products?limit=${limit}&${query}${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await h.call('GET', url);
    expect(res.status).toBe(200);
    seen.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (!cursor) return seen;
  }
  throw new Error('too many pages');
}

const names = (items: Item[]) => items.map((i) => i.name);

describe('ranking', () => {
  test('names outrank descriptions, and exact matches outrank typo matches', async () => {
    const items = names(await list('q=white'));
    expect(items).toHaveLength(5);
    expect(items.slice(0, 3).sort()).toEqual(['White cotton shirt', 'White linen shirt', 'White tea']);
    // "white" only in the description, then "whte", a close word of "white".
    expect(items.slice(3)).toEqual(['Snow mug', 'Whte label shirt']);
  });

  test('an explicit sort still applies to a search', async () => {
    const items = await list('q=white&sort=price');
    expect(items.map((i) => i.priceCents)).toEqual([800, 900, 1200, 1999, 3500]);
  });

  test('sort=relevance without searchable words means newest first', async () => {
    const a = await h.call('GET', '/products?sort=relevance&q=' + encodeURIComponent('!!'));
    const b = await h.call('GET', '/products');
    expect(a.status).toBe(200);
    expect(a.body).toEqual(b.body);
  });
});

describe('typo tolerance', () => {
  test('"whte shirt" finds white shirts, after the product literally named so', async () => {
    const items = names(await list('q=' + encodeURIComponent('whte shirt')));
    expect(items[0]).toBe('Whte label shirt');
    expect(items.slice(1).sort()).toEqual(['White cotton shirt', 'White linen shirt']);
  });

  test('a misspelt word alone finds what it meant', async () => {
    expect(names(await list('q=' + encodeURIComponent('blak shirt')))).toEqual(['Black shirt']);
    const kettles = await list('q=kettel');
    expect(kettles).toHaveLength(30);
    expect(kettles.every((i) => i.category === 'kettles')).toBe(true);
  });

  test('words of three letters or fewer get no typo tolerance', async () => {
    // "tee" would be close to "tea"; short words match as prefixes only.
    expect(await list('q=tee')).toEqual([]);
  });
});

describe('keyset pagination under ranking', () => {
  test.each([
    ['q=kettle', 3],
    ['q=tea', 4],
    ['q=white', 1],
    ['q=kettel', 7],
  ])('walking %s in pages of %i returns the one-page ranking, each product once', async (query, limit) => {
    const whole = await list(query);
    const pages = await walk(query, limit);
    expect(pages.map((i) => i.id)).toEqual(whole.map((i) => i.id));
    expect(new Set(pages.map((i) => i.id)).size).toBe(pages.length);
  });

  test('q=tea: 15 kettles for tea and two teas, as hand-counted', async () => {
    const items = await walk('q=tea', 4);
    expect(items).toHaveLength(17);
    // Names first: the two teas, then kettles whose description says tea.
    expect(names(items.slice(0, 2)).sort()).toEqual(['Green tea', 'White tea']);
  });
});

const band = (minPrice: number, maxPrice: number | null, count: number) => ({ minPrice, maxPrice, count });

describe('facets', () => {
  test('without filters: every visible product, by category and price band', async () => {
    const res = await h.call('GET', '/products/facets');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      total: 38,
      categories: [
        { value: 'kettles', count: 30 },
        { value: 'shirts', count: 4 },
        { value: 'mugs', count: 2 },
        { value: 'tea', count: 2 },
      ],
      priceBands: [
        band(0, 999, 3),
        band(1000, 2499, 3),
        band(2500, 4999, 7),
        band(5000, 9999, 24),
        band(10000, 24999, 0),
        band(25000, null, 1),
      ],
    });
  });

  test('with q, the same products the listing finds', async () => {
    const res = await h.call('GET', '/products/facets?q=tea');
    expect(res.body).toEqual({
      total: 17,
      categories: [
        { value: 'kettles', count: 15 },
        { value: 'tea', count: 2 },
      ],
      priceBands: [
        band(0, 999, 1),
        band(1000, 2499, 1),
        band(2500, 4999, 3),
        band(5000, 9999, 12),
        band(10000, 24999, 0),
        band(25000, null, 0),
      ],
    });
    const typo = await h.call('GET', '/products/facets?q=' + encodeURIComponent('whte shirt'));
    expect(typo.body.total).toBe(3);
    expect(typo.body.categories).toEqual([{ value: 'shirts', count: 3 }]);
  });

  test('filters combine, and a band is the listing filter of its bounds', async () => {
    const res = await h.call('GET', '/products/facets?category=shirts&maxPrice=1999');
    expect(res.body.total).toBe(3);
    expect(res.body.priceBands.slice(0, 2)).toEqual([band(0, 999, 1), band(1000, 2499, 2)]);
    const b = res.body.priceBands[1];
    const listed = await list(`category=shirts&maxPrice=1999&minPrice=${b.minPrice}&sort=price`);
    expect(names(listed)).toEqual(['Black shirt', 'White cotton shirt']);
    const inStock = await h.call('GET', '/products/facets?inStock=false');
    expect(inStock.body.total).toBe(0);
  });

  test('hidden products are counted for admins only', async () => {
    const res = await h.call('GET', '/products/facets?includeInactive=true', { token: admin });
    expect(res.body.total).toBe(39);
    expect(res.body.categories).toContainEqual({ value: 'shirts', count: 5 });
    const refused = await h.call('GET', '/products/facets?includeInactive=true');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
  });
});

const LONG = 'a'.repeat(201);
const ZERO_ID = '00000000-0000-4000-8000-000000000000';
test.each([
  [`/products?q=${LONG}`, 'q'],
  ['/products?q=a%07b', 'q'],
  ['/products?q=a%00b', 'q'],
  [`/products?q=white&sort=price&cursor=${encodeCursor({ s: 'relevance:desc', k: 5, id: ZERO_ID })}`, 'cursor'],
  [`/products?q=white&cursor=${encodeCursor({ s: 'relevance:desc', k: -1, id: ZERO_ID })}`, 'cursor'],
  [`/products?q=white&cursor=${encodeCursor({ s: 'relevance:desc', k: 3e9, id: ZERO_ID })}`, 'cursor'],
  [`/products?q=white&cursor=${encodeCursor({ s: 'relevance:desc', k: '5', id: ZERO_ID })}`, 'cursor'],
  [`/products/facets?q=${LONG}`, 'q'],
  ['/products/facets?q=%1B', 'q'],
  ['/products/facets?limit=5', ''],
  ['/products/facets?minPrice=500&maxPrice=100', 'minPrice'],
  ['/products/facets?inStock=maybe', 'inStock'],
])('GET %s is a 400 problem', async (url, field) => {
  const res = await h.call('GET', url);
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(JSON.stringify(res.body.errors)).toContain(field);
});

// Last: it adds a product.
test('facets are micro-cached like listing pages, and a write in this process shows at once', async () => {
  const before = await h.call('GET', '/products/facets?category=mugs');
  expect(before.body.total).toBe(2);
  const created = await h.call('POST', '/products', {
    token: admin,
    body: productInput({ name: 'Tall mug', category: 'mugs', priceCents: 1000 }),
  });
  expect(created.status).toBe(201);
  const after = await h.call('GET', '/products/facets?category=mugs');
  expect(after.body.total).toBe(3);
  // The new product's words reach the typo vocabulary through the trigger.
  expect(names(await list('q=talll'))).toEqual(['Tall mug']);
});
