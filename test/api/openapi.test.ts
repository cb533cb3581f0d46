/** The whole API's OpenAPI document lists every route the app serves (its validity: test/catalog/openapi.test.ts). */
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  await h?.close();
});

const UNDOCUMENTED = [/^\/docs/, /^\/openapi\.json$/];

test('every route the app serves is in /openapi.json, each with problem+json error responses', async () => {
  const res = await h.call('GET', '/openapi.json');
  expect(res.status).toBe(200);
  const doc = res.body;
  const served = h.app.routes
    .filter((r) => r.method !== 'ALL' && !UNDOCUMENTED.some((re) => re.test(r.path)))
    .map((r) => ({ method: r.method.toLowerCase(), path: r.path.replace(/:(\w+)/g, '{$1}') }));
  expect(served.length).toBeGreaterThan(20);
  const missing = served.filter((r) => !doc.paths?.[r.path]?.[r.method]).map((r) => `${r.method} ${r.path}`);
  expect(missing).toEqual([]);

  for (const { method, path } of served) {
    const op = doc.paths[path][method];
    const errors = Object.entries(op.responses ?? {}).filter(([status]) => Number(status) >= 400);
    if (path === '/health' || path === '/ready') continue;
    expect({ route: `${method} ${path}`, hasErrors: errors.length > 0 }).toEqual({
      route: `${method} ${path}`,
      hasErrors: true,
    });
    for (const [, response] of errors)
      expect(Object.keys((response as any).content ?? {})).toContain('application/problem+json');
    if (op.security?.length)
      expect({ route: `${method} ${path}`, has401: '401' in op.responses }).toEqual({
        route: `${method} ${path}`,
        has401: true,
      });
  }
});
