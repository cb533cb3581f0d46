/**
 * The document states what the middleware answers: for every operation, a bad bearer token (401), a body that is
 * not JSON (415) and a malformed JSON body (400) answer a status the document lists for it, as problem+json.
 */
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
let doc: { paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>> };
beforeAll(async () => {
  h = await startHarness({ worker: false });
  doc = (await h.call('GET', '/openapi.json')).body;
}, 180_000);
afterAll(async () => {
  await h?.close();
});

const ID = '00000000-0000-4000-8000-000000000000';
const operations = () =>
  Object.entries(doc.paths).flatMap(([template, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      path: template.replace(/\{\w+\}/g, ID),
      documented: Object.keys(op.responses),
      readsBody: op.requestBody !== undefined,
    })),
  );

test('a bad bearer token is a documented 401 on every operation', async () => {
  const wrong: string[] = [];
  for (const op of operations()) {
    const res = await h.call(op.method, op.path, { headers: { authorization: 'Bearer not-a-token' } });
    if (res.status !== 401 || !op.documented.includes('401')) wrong.push(`${op.method} ${op.template}: ${res.status}`);
  }
  expect(wrong).toEqual([]);
});

test('a body that is not JSON is a documented 415, and malformed JSON a documented 400, where a body is read', async () => {
  const token = await h.token('admin');
  const wrong: string[] = [];
  for (const op of operations().filter((o) => ['POST', 'PUT', 'PATCH'].includes(o.method))) {
    const text = await h.call(op.method, op.path, {
      token,
      body: 'hello',
      headers: { 'content-type': 'text/plain', 'idempotency-key': 'k' },
    });
    if (text.status !== 415 || !op.documented.includes('415'))
      wrong.push(`${op.method} ${op.template}: ${text.status}`);
    expect(text.headers.get('content-type')).toBe('application/problem+json');
    if (!op.readsBody || op.template === '/payments/webhook') continue;
    const bad = await h.call(op.method, op.path, { token, body: '{"a":', headers: { 'idempotency-key': 'k' } });
    if (bad.status !== 400 || !op.documented.includes('400')) wrong.push(`${op.method} ${op.template}: ${bad.status}`);
  }
  expect(wrong).toEqual([]);
});
