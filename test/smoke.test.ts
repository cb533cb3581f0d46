import { startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

test('health answers and ready reports every check', async () => {
  expect((await h.call('GET', '/health')).status).toBe(200);
  const ready = await h.call('GET', '/ready');
  expect(ready.status).toBe(200);
  expect(ready.body.checks.map((c: { name: string }) => c.name)).toEqual(['database', 'temporal', 'worker']);
});

test('unknown routes answer problem+json 404', async () => {
  const res = await h.call('GET', '/nope');
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
});
