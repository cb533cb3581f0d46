/** Bearer tokens: verifyToken accepts only an unexpired HS256 token signed with this secret, with valid claims. */
import { randomUUID } from 'node:crypto';
import { sign } from 'hono/jwt';
import { mintToken, verifyToken } from '../../api/auth';

const SECRET = 'test-secret-one-0123456789abcdef';
const OTHER = 'test-secret-two-0123456789abcdef';
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

test('a token minted with the secret verifies, again and again', async () => {
  const sub = randomUUID();
  const token = await mintToken(SECRET, { sub, role: 'customer' });
  for (let i = 0; i < 3; i++) expect(await verifyToken(SECRET, token)).toEqual({ sub, role: 'customer' });
});

test('each secret verifies only its own tokens, with both in use in one process', async () => {
  const sub = randomUUID();
  const one = await mintToken(SECRET, { sub, role: 'admin' });
  const two = await mintToken(OTHER, { sub, role: 'customer' });
  expect(await verifyToken(SECRET, one)).toEqual({ sub, role: 'admin' });
  expect(await verifyToken(OTHER, two)).toEqual({ sub, role: 'customer' });
  expect(await verifyToken(SECRET, two)).toBeUndefined();
  expect(await verifyToken(OTHER, one)).toBeUndefined();
});

test('expired, tampered, unsigned and malformed tokens are refused', async () => {
  const sub = randomUUID();
  const expired = await mintToken(SECRET, { sub, role: 'customer' }, 60, Date.now() - 3_600_000);
  expect(await verifyToken(SECRET, expired)).toBeUndefined();

  const [header, , signature] = (await mintToken(SECRET, { sub, role: 'customer' })).split('.');
  const promoted = `${header}.${b64({ sub, role: 'admin', exp: Math.floor(Date.now() / 1000) + 60 })}.${signature}`;
  expect(await verifyToken(SECRET, promoted)).toBeUndefined();

  const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub, role: 'admin' })}.`;
  expect(await verifyToken(SECRET, unsigned)).toBeUndefined();

  expect(await verifyToken(SECRET, 'not.a.token')).toBeUndefined();
});

test('a correctly signed token with bad claims is refused', async () => {
  const exp = Math.floor(Date.now() / 1000) + 60;
  expect(
    await verifyToken(SECRET, await sign({ sub: 'not-a-uuid', role: 'customer', exp }, SECRET, 'HS256')),
  ).toBeUndefined();
  expect(
    await verifyToken(SECRET, await sign({ sub: randomUUID(), role: 'root', exp }, SECRET, 'HS256')),
  ).toBeUndefined();
});
