import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  await h?.close();
});

test('a body with a non-JSON content type is 415 problem+json', async () => {
  const res = await h.app.request('/carts', {
    method: 'POST',
    headers: { authorization: `Bearer ${await h.token('customer')}`, 'content-type': 'text/plain' },
    body: 'hello',
  });
  expect(res.status).toBe(415);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
});

test('a body announced by length but without a content type is 415', async () => {
  const res = await h.app.request('/carts', {
    method: 'POST',
    headers: { authorization: `Bearer ${await h.token('customer')}`, 'content-length': '2' },
    body: new Uint8Array([123, 125]),
  });
  expect(res.status).toBe(415);
});

test('over real HTTP, a bodyless POST (as curl -X POST sends it) is accepted', async () => {
  const { serve } = await import('@hono/node-server');
  const net = await import('node:net');
  const token = await h.token('customer');
  const server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((r) => server.once('listening', () => r()));
  const { port } = server.address() as { port: number };
  try {
    // Written by hand: node's http client would add Content-Length: 0, curl sends no length at all.
    const status = await new Promise<number>((resolve, reject) => {
      const sock = net.connect({ host: '127.0.0.1', port }, () => {
        sock.write(
          `POST /carts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
        );
      });
      let reply = '';
      sock.on('data', (d) => (reply += d.toString()));
      sock.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0)));
      sock.on('error', reject);
    });
    expect(status).toBe(201);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
