import { eq } from 'drizzle-orm';
import { products } from '../../db/schema';
import { startHarness, type Harness } from '../support/harness';
import { insertOrderFor, productInput, snapshot } from './fixtures';

let h: Harness;
let admin: string;
let customer: string;
beforeAll(async () => {
  h = await startHarness({ worker: false });
  admin = await h.token('admin');
  customer = await h.token('customer');
});
afterAll(async () => {
  await h?.close();
});

const create = async (over: Record<string, unknown> = {}) => {
  const res = await h.call('POST', '/products', { token: admin, body: productInput(over) });
  expect(res.status).toBe(201);
  return res.body as { id: string; version: number; [k: string]: unknown };
};

describe('creating products', () => {
  test('an admin creates a product: 201, Location, version 1', async () => {
    const input = productInput({ name: 'Green tea' });
    const res = await h.call('POST', '/products', { token: admin, body: input });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/products/${res.body.id}`);
    expect(res.body).toMatchObject({ ...input, version: 1, archivedAt: null });
    const get = await h.call('GET', res.headers.get('location')!);
    expect(get.body).toEqual(res.body);
  });

  test('without a token it is 401, as a customer 403, and nothing is written', async () => {
    const before = await snapshot(h.db.db);
    const anon = await h.call('POST', '/products', { body: productInput() });
    expect(anon.status).toBe(401);
    expect(anon.headers.get('content-type')).toBe('application/problem+json');
    expect(anon.headers.get('www-authenticate')).toBe('Bearer');
    // Authorization is checked before the body: an invalid body still gets 403.
    expect((await h.call('POST', '/products', { token: customer, body: { nope: 1 } })).status).toBe(403);
    expect((await h.call('POST', '/products', { token: 'garbage', body: productInput() })).status).toBe(401);
    expect(await snapshot(h.db.db)).toEqual(before);
  });

  test('a duplicate sku is 409 and the first product is untouched', async () => {
    const first = await create({ sku: 'DUP-1' });
    const before = await snapshot(h.db.db);
    const res = await h.call('POST', '/products', { token: admin, body: productInput({ sku: 'DUP-1' }) });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ status: 409, sku: 'DUP-1' });
    expect(await snapshot(h.db.db)).toEqual(before);
    expect((await h.call('GET', `/products/${first.id}`)).body.version).toBe(1);
  });

  test.each([
    ['an unknown field', { colour: 'red' }, 'colour'],
    ['a string price', { priceCents: '10' }, 'priceCents'],
    ['a negative price', { priceCents: -1 }, 'priceCents'],
    ['a fractional stock', { stock: 1.5 }, 'stock'],
    ['a negative stock', { stock: -3 }, 'stock'],
    ['a lower-case currency', { currency: 'eur' }, 'currency'],
    ['a made-up currency', { currency: 'XYQ' }, 'currency'],
    ['an empty name', { name: '  ' }, 'name'],
  ])('%s is a 400 naming the field, and nothing is written', async (_what, over, field) => {
    const before = await snapshot(h.db.db);
    const res = await h.call('POST', '/products', { token: admin, body: productInput(over) });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.stringify(res.body.errors)).toContain(field);
    expect(await snapshot(h.db.db)).toEqual(before);
  });

  test('a missing field is a 400', async () => {
    const { sku: _sku, ...rest } = productInput();
    const res = await h.call('POST', '/products', { token: admin, body: rest });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('sku');
  });

  test('malformed JSON is 400, a non-JSON type 415, a body over 1 MB 413, each changing nothing', async () => {
    const before = await snapshot(h.db.db);
    const bad = await h.call('POST', '/products', { token: admin, body: '{"sku": ' });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/JSON/);
    const text = await h.call('POST', '/products', {
      token: admin,
      body: JSON.stringify(productInput()),
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(text.headers.get('content-type')).toBe('application/problem+json');
    const huge = await h.call('POST', '/products', {
      token: admin,
      body: productInput({ description: 'x'.repeat(1024 * 1024 + 10) }),
    });
    expect(huge.status).toBe(413);
    expect(await snapshot(h.db.db)).toEqual(before);
  });
});

describe('reading one product', () => {
  test('answers with an ETag and Cache-Control; If-None-Match answers 304', async () => {
    const p = await create();
    const res = await h.call('GET', `/products/${p.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const etag = res.headers.get('etag')!;
    expect(etag).toBe(`"${p.id}.1"`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60, must-revalidate');
    const again = await h.call('GET', `/products/${p.id}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers.get('etag')).toBe(etag);
    const weak = await h.call('GET', `/products/${p.id}`, { headers: { 'if-none-match': `"other", W/${etag}` } });
    expect(weak.status).toBe(304);
    const stale = await h.call('GET', `/products/${p.id}`, { headers: { 'if-none-match': '"other"' } });
    expect(stale.status).toBe(200);
  });

  test('an unknown id and a malformed id are both 404 problems', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '1']) {
      const res = await h.call('GET', `/products/${id}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  test('an inactive product is 404 to the public and visible, uncacheable, to an admin', async () => {
    const p = await create({ active: false });
    expect((await h.call('GET', `/products/${p.id}`)).status).toBe(404);
    expect((await h.call('GET', `/products/${p.id}`, { token: customer })).status).toBe(404);
    const res = await h.call('GET', `/products/${p.id}`, { token: admin });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-cache');
  });
});

describe('changing products', () => {
  test('PATCH is visible on the next read, bumps version and changes the ETag', async () => {
    const p = await create({ priceCents: 500 });
    const first = await h.call('GET', `/products/${p.id}`); // now cached
    const patched = await h.call('PATCH', `/products/${p.id}`, { token: admin, body: { priceCents: 650 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ priceCents: 650, version: 2 });
    expect(new Date(patched.body.updatedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(p.updatedAt as string).getTime(),
    );
    const after = await h.call('GET', `/products/${p.id}`, {
      headers: { 'if-none-match': first.headers.get('etag')! },
    });
    expect(after.status).toBe(200);
    expect(after.body.priceCents).toBe(650);
    expect(after.headers.get('etag')).toBe(`"${p.id}.2"`);
  });

  test('deactivating by PATCH hides the product from the public at once', async () => {
    const p = await create();
    expect((await h.call('GET', `/products/${p.id}`)).status).toBe(200);
    await h.call('PATCH', `/products/${p.id}`, { token: admin, body: { active: false } });
    expect((await h.call('GET', `/products/${p.id}`)).status).toBe(404);
  });

  test('PUT replaces every field: omitted description and active take their defaults', async () => {
    const p = await create({ description: 'long text', active: false });
    const input = productInput({ name: 'Replaced' });
    const { description: _d, active: _a, ...rest } = input;
    const res = await h.call('PUT', `/products/${p.id}`, { token: admin, body: rest });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ...rest, description: '', active: true, version: 2 });
    expect((await h.call('GET', `/products/${p.id}`)).body.name).toBe('Replaced');
  });

  test('PUT with a partial body is 400; PATCH with an empty body or an unknown field is 400', async () => {
    const p = await create();
    const before = await snapshot(h.db.db);
    expect((await h.call('PUT', `/products/${p.id}`, { token: admin, body: { name: 'x' } })).status).toBe(400);
    expect((await h.call('PATCH', `/products/${p.id}`, { token: admin, body: {} })).status).toBe(400);
    expect((await h.call('PATCH', `/products/${p.id}`, { token: admin, body: { version: 9 } })).status).toBe(400);
    expect((await h.call('PATCH', `/products/${p.id}`, { token: admin, body: { stock: -1 } })).status).toBe(400);
    expect(await snapshot(h.db.db)).toEqual(before);
  });

  test('writes to an unknown product are 404; a sku taken by another product is 409', async () => {
    const a = await create();
    const b = await create();
    const missing = '00000000-0000-4000-8000-000000000001';
    expect((await h.call('PATCH', `/products/${missing}`, { token: admin, body: { stock: 1 } })).status).toBe(404);
    expect((await h.call('PUT', `/products/bad-id`, { token: admin, body: productInput() })).status).toBe(404);
    expect((await h.call('DELETE', `/products/${missing}`, { token: admin })).status).toBe(404);
    const clash = await h.call('PATCH', `/products/${b.id}`, { token: admin, body: { sku: a.sku } });
    expect(clash.status).toBe(409);
  });

  test('writes need an admin: 401 without a token, 403 for a customer', async () => {
    const p = await create();
    for (const [method, body] of [
      ['PUT', productInput()],
      ['PATCH', { stock: 1 }],
      ['DELETE', undefined],
    ] as const) {
      expect((await h.call(method, `/products/${p.id}`, { body })).status).toBe(401);
      expect((await h.call(method, `/products/${p.id}`, { token: customer, body })).status).toBe(403);
    }
    expect((await h.call('GET', `/products/${p.id}`)).body.version).toBe(1);
  });
});

describe('deleting products', () => {
  test('an unreferenced product is deleted: 204, then 404, and the row is gone', async () => {
    const p = await create();
    await h.call('GET', `/products/${p.id}`); // cached
    const res = await h.call('DELETE', `/products/${p.id}`, { token: admin });
    expect(res.status).toBe(204);
    expect((await h.call('GET', `/products/${p.id}`)).status).toBe(404);
    expect(await h.db.db.select().from(products).where(eq(products.id, p.id))).toHaveLength(0);
  });

  test('a product referenced by an order is archived instead: 200, hidden, kept for history, read-only', async () => {
    const p = await create();
    await insertOrderFor(h.db.db, p.id);
    await h.call('GET', `/products/${p.id}`); // cached
    const res = await h.call('DELETE', `/products/${p.id}`, { token: admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: p.id, active: false, version: 2 });
    expect(res.body.archivedAt).toEqual(expect.any(String));
    expect((await h.call('GET', `/products/${p.id}`)).status).toBe(404);
    expect((await h.call('GET', `/products/${p.id}`, { token: admin })).body.archivedAt).toBe(res.body.archivedAt);
    const [row] = await h.db.db.select().from(products).where(eq(products.id, p.id));
    expect(row?.archivedAt).toBeInstanceOf(Date);
    const patch = await h.call('PATCH', `/products/${p.id}`, { token: admin, body: { active: true } });
    expect(patch.status).toBe(409);
    // Deleting again keeps it archived and does not bump the version.
    const again = await h.call('DELETE', `/products/${p.id}`, { token: admin });
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(2);
  });

  test('a product in a cart is archived, and the cart still shows its line', async () => {
    const p = await create();
    const cart = await h.call('POST', '/carts', { token: customer });
    await h.call('POST', `/carts/${cart.body.id}/items`, { token: customer, body: { productId: p.id, quantity: 2 } });
    const res = await h.call('DELETE', `/products/${p.id}`, { token: admin });
    expect(res.status).toBe(200);
    const view = await h.call('GET', `/carts/${cart.body.id}`, { token: customer });
    expect(view.body.lines).toEqual([expect.objectContaining({ productId: p.id, quantity: 2, purchasable: false })]);
  });
});
