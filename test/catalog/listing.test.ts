import { sql } from 'drizzle-orm';
import { products } from '../../db/schema';
import { encodeCursor } from '../../api/catalog/cursor';
import { toPrefixTsquery } from '../../api/catalog/listing';
import { startHarness, type Harness } from '../support/harness';
import { productInput } from './fixtures';

interface Item {
  id: string;
  name: string;
  priceCents: number;
  createdAt: string;
  category: string;
  stock: number;
  active: boolean;
}

let h: Harness;
let admin: string;
let customer: string;
const VISIBLE = 53;
const WORDS = ['green', 'black', 'oolong', 'white', 'herbal'];

beforeAll(async () => {
  h = await startHarness({ worker: false });
  admin = await h.token('admin');
  customer = await h.token('customer');
  // One bulk insert: every row shares created_at (one transaction timestamp), and prices and names repeat,
  // so every sort depends on the id tie-breaker.
  const rows = Array.from({ length: VISIBLE }, (_, i) =>
    productInput({
      name: `${WORDS[i % 5]} tea ${i % 7}`,
      description: i % 2 ? 'loose leaf' : 'bagged',
      category: i % 3 === 0 ? 'tea' : 'coffee',
      priceCents: 100 * (i % 6),
      stock: i % 4 === 0 ? 0 : 5,
    }),
  );
  await h.db.db.insert(products).values(rows);
  // Products made later, one at a time, for distinct created_at values, plus hidden ones.
  for (const over of [{ name: 'Zebra mug' }, { name: 'Aardvark mug' }, { active: false, name: 'Hidden' }]) {
    expect((await h.call('POST', '/products', { token: admin, body: productInput(over) })).status).toBe(201);
  }
  const archived = await h.call('POST', '/products', { token: admin, body: productInput({ name: 'Gone' }) });
  await h.db.db.execute(sql`update products set archived_at = now(), active = false where id = ${archived.body.id}`);
});
afterAll(async () => {
  await h?.close();
});

async function walk(query: string, limit = 7, token?: string): Promise<Item[]> {
  const seen: Item[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const url: string = `/products?limit=${limit}${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await h.call('GET', url, { token });
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    seen.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (!cursor) return seen;
  }
  throw new Error('too many pages');
}

const byKey = (key: (i: Item) => string | number, dir: 1 | -1) => (a: Item, b: Item) => {
  const ka = key(a);
  const kb = key(b);
  if (ka !== kb) return (ka < kb ? -1 : 1) * dir;
  return (a.id < b.id ? -1 : 1) * dir;
};

describe.each([
  ['price', (i: Item) => i.priceCents, 1],
  ['-price', (i: Item) => i.priceCents, -1],
  ['name', (i: Item) => i.name, 1],
  ['-name', (i: Item) => i.name, -1],
  ['createdAt', (i: Item) => i.createdAt, 1],
  ['-createdAt', (i: Item) => i.createdAt, -1],
] as const)('sort=%s', (sort, key, dir) => {
  test('walking every page returns each visible product once, in order', async () => {
    const items = await walk(`sort=${sort}`);
    expect(items).toHaveLength(VISIBLE + 2);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    expect(items.some((i) => i.name === 'Hidden' || i.name === 'Gone')).toBe(false);
    if (sort.includes('name')) {
      // PostgreSQL collation decides name order; check it is monotonic under the database's own comparison.
      const names = items.map((i) => i.name);
      const res = (await h.db.db.execute(
        sql`select bool_and(ok) as ok from (select coalesce((lag(n) over (order by i)) ${sql.raw(dir === 1 ? '<=' : '>=')} n, true) as ok
            from json_array_elements_text(${JSON.stringify(names)}::json) with ordinality as t(n, i)) s`,
      )) as unknown as { ok: boolean }[] | { rows: { ok: boolean }[] };
      // postgres.js answers an array, PGlite { rows }.
      const rows = Array.isArray(res) ? res : res.rows;
      expect(rows[0]?.ok).toBe(true);
    } else {
      expect(items).toEqual([...items].sort(byKey(key, dir)));
    }
  });
});

test('order=desc is the same as a leading minus; a default page is 20, newest first', async () => {
  const a = await h.call('GET', '/products?sort=price&order=desc&limit=30');
  const b = await h.call('GET', '/products?sort=-price&limit=30');
  expect(a.body.items).toEqual(b.body.items);
  const d = await h.call('GET', '/products');
  expect(d.body.items).toHaveLength(20);
  expect(d.body.items[0].name).toBe('Aardvark mug');
});

test('filters combine: category, price range and stock', async () => {
  const items = await walk('category=tea&minPrice=100&maxPrice=300&inStock=true', 5);
  expect(items.length).toBeGreaterThan(0);
  for (const i of items) {
    expect(i.category).toBe('tea');
    expect(i.priceCents).toBeGreaterThanOrEqual(100);
    expect(i.priceCents).toBeLessThanOrEqual(300);
    expect(i.stock).toBeGreaterThan(0);
  }
  const all = await walk('', 50);
  const expected = all.filter((i) => i.category === 'tea' && i.priceCents >= 100 && i.priceCents <= 300 && i.stock > 0);
  expect(items.map((i) => i.id).sort()).toEqual(expected.map((i) => i.id).sort());
  const out = await walk('inStock=false', 50);
  const soldOut = all.filter((i) => i.stock === 0);
  expect(soldOut.length).toBeGreaterThan(0);
  expect(out.map((i) => i.id).sort()).toEqual(soldOut.map((i) => i.id).sort());
});

test('q searches name, description and category as word prefixes; all words must match', async () => {
  const oolong = await walk('q=oolo', 4);
  expect(oolong.length).toBe(Math.ceil(VISIBLE / 5) - (VISIBLE % 5 > 2 ? 0 : 1));
  for (const i of oolong) expect(i.name).toMatch(/^oolong/);
  const both = await walk('q=' + encodeURIComponent('GREEN loose'), 50);
  expect(both.length).toBeGreaterThan(0);
  for (const i of both) expect(i.name).toMatch(/^green/);
  const cat = await walk('q=coffee&sort=price', 50);
  expect(cat.every((i) => i.category === 'coffee')).toBe(true);
  expect((await h.call('GET', '/products?q=nothingmatchesthis')).body).toEqual({ items: [], nextCursor: null });
  // Operators are not syntax: punctuation is dropped, never a 500.
  expect((await h.call('GET', `/products?q=${encodeURIComponent("gr:*|&!(')")}`)).status).toBe(200);
  expect(toPrefixTsquery("it's green!")).toBe('it:* & s:* & green:*');
});

test('admins may include inactive and archived products; customers and the public get 403', async () => {
  const inactive = await walk('includeInactive=true', 50, admin);
  expect(inactive.map((i) => i.name)).toContain('Hidden');
  expect(inactive.map((i) => i.name)).not.toContain('Gone');
  const archived = await walk('includeArchived=true', 50, admin);
  expect(archived).toHaveLength(VISIBLE + 4);
  expect((await h.call('GET', '/products?includeInactive=true', { token: customer })).status).toBe(403);
  expect((await h.call('GET', '/products?includeArchived=true')).status).toBe(403);
});

test.each([
  ['limit=0', 'limit'],
  ['limit=101', 'limit'],
  ['limit=abc', 'limit'],
  ['minPrice=-1', 'minPrice'],
  ['minPrice=500&maxPrice=100', 'minPrice'],
  ['inStock=yes', 'inStock'],
  ['sort=color', 'sort'],
  ['sort=-price&order=asc', 'order'],
  ['colour=red', ''],
  ['cursor=not-a-cursor', 'cursor'],
  [
    `cursor=${encodeCursor({ s: 'price:asc', k: 100, id: '00000000-0000-4000-8000-000000000000' })}&sort=name`,
    'cursor',
  ],
  [
    `cursor=${encodeCursor({ s: 'createdAt:desc', k: '2024-01-01', id: '00000000-0000-4000-8000-000000000000' })}`,
    'cursor',
  ],
])('GET /products?%s is a 400 problem', async (query, field) => {
  const res = await h.call('GET', `/products?${query}`);
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(JSON.stringify(res.body.errors)).toContain(field);
});

// Last in the file: it adds and changes products.
test('listing pages are micro-cached, but a write in this process shows on the next listing', async () => {
  const url = '/products?sort=-price&limit=3';
  const before = await h.call('GET', url);
  expect((await h.call('GET', url)).body).toEqual(before.body);
  const created = await h.call('POST', '/products', {
    token: admin,
    body: productInput({ name: 'Priciest', priceCents: 999_999 }),
  });
  const after = await h.call('GET', url, { token: customer });
  expect(after.body.items[0].id).toBe(created.body.id);
  await h.call('PATCH', `/products/${created.body.id}`, { token: admin, body: { name: 'Renamed' } });
  expect((await h.call('GET', url)).body.items[0].name).toBe('Renamed');
  await h.call('DELETE', `/products/${created.body.id}`, { token: admin });
  expect((await h.call('GET', url)).body).toEqual(before.body);
});
