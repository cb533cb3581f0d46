import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

test('health answers and ready reports every check', async () => {
  expect((await h.call('GET', '/health')).status).toBe(200);
  // The worker's first poll reaches the server a moment after it starts; the wait fails with the last answer.
  const ready = await waitFor(
    'GET /ready to answer 200',
    () => h.call('GET', '/ready'),
    (r) => r.status === 200,
  );
  expect(ready.body.checks.map((c: { name: string }) => c.name)).toEqual(['database', 'temporal', 'worker']);
});

test('unknown routes answer problem+json 404', async () => {
  const res = await h.call('GET', '/nope');
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
});
