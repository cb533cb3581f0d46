/** Where webhooks may go: literal hosts at subscription time, resolved addresses right before delivery. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { URL_PATTERN } from '../../api/webhooks/schemas';
import {
  checkWebhookUrl,
  guardedLookup,
  isPublicAddress,
  MAX_WEBHOOK_URL_LENGTH,
  resolveWebhookTarget,
  WebhookUrlRefused,
  type Resolver,
} from '../../lib/webhook-url';

const strict = { allowPrivateAddresses: false };
const lax = { allowPrivateAddresses: true };

test.each([
  '127.0.0.1',
  '127.255.0.9',
  '10.1.2.3',
  '172.16.0.1',
  '192.168.1.1',
  '169.254.169.254',
  '100.64.0.1',
  '0.0.0.0',
  '224.0.0.1',
  '255.255.255.255',
  '::1',
  '::',
  'fe80::1',
  'fc00::1',
  'fd12:3456::1',
  'ff02::1',
  '::ffff:127.0.0.1',
  '::ffff:10.0.0.1',
  '::ffff:7f00:1',
  '64:ff9b::a00:1',
  '2002:a00:1::',
])('%s is not a public address', (address) => {
  expect(isPublicAddress(address)).toBe(false);
});

test.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('%s is a public address', (address) => {
  expect(isPublicAddress(address)).toBe(true);
});

test.each([
  ['http://127.0.0.1/hook', /not public/],
  ['http://[::1]:8080/hook', /not public/],
  ['http://[::ffff:127.0.0.1]/', /not public/],
  ['http://2130706433/', /not public/], // 127.0.0.1 as one number; the URL parser normalises it
  ['http://0x7f.1/', /not public/],
  ['http://169.254.169.254/latest/meta-data', /not public/],
  ['http://localhost:3000/', /this machine/],
  ['http://api.localhost/', /this machine/],
  ['ftp://example.com/', /http or https/],
  ['javascript:alert(1)', /http or https/],
  ['file:///etc/passwd', /http or https/],
  ['example.com/hook', /absolute URL/],
  ['https://user:pw@example.com/', /credentials/],
  ['https://example.com/#frag', /fragment/],
  ['https://exa\tmple.com/', /control characters/],
  ['https://example.com/\u0085', /control characters/],
  ['https://example.com/ x', /spaces/],
  [`https://example.com/${'a'.repeat(2048)}`, /at most 2048/],
])('%s is refused when private addresses are not allowed', (url, why) => {
  expect(() => checkWebhookUrl(url, strict)).toThrow(WebhookUrlRefused);
  expect(() => checkWebhookUrl(url, strict)).toThrow(why);
});

test('with private addresses allowed, loopback URLs pass and the scheme rules still hold', () => {
  expect(checkWebhookUrl('http://127.0.0.1:4000/hook', lax).href).toBe('http://127.0.0.1:4000/hook');
  expect(checkWebhookUrl('http://localhost/', lax).host).toBe('localhost');
  expect(() => checkWebhookUrl('ftp://127.0.0.1/', lax)).toThrow(/http or https/);
});

test('a host name passes the literal check and the URL comes back normalised', () => {
  expect(checkWebhookUrl('HTTPS://Hooks.Example.COM/a/../b?x=1', strict).href).toBe('https://hooks.example.com/b?x=1');
});

test('WEBHOOK_ALLOWED_HOSTS admits exact names and *.domain patterns only', () => {
  const policy = { allowPrivateAddresses: false, allowedHosts: ['hooks.example.com', '*.partner.test'] };
  expect(() => checkWebhookUrl('https://hooks.example.com/x', policy)).not.toThrow();
  expect(() => checkWebhookUrl('https://a.b.partner.test/x', policy)).not.toThrow();
  expect(() => checkWebhookUrl('https://partner.test/x', policy)).toThrow(/WEBHOOK_ALLOWED_HOSTS/);
  expect(() => checkWebhookUrl('https://evilpartner.test/x', policy)).toThrow(/WEBHOOK_ALLOWED_HOSTS/);
  expect(() => checkWebhookUrl('https://example.com/x', policy)).toThrow(/WEBHOOK_ALLOWED_HOSTS/);
});

/** A resolver that answers from a table, as a hostile DNS server could. */
const fakeDns =
  (table: Record<string, string[]>): Resolver =>
  (host) =>
    Promise.resolve((table[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

test('before delivery every resolved address is checked, not just the first', async () => {
  const dns = fakeDns({
    'good.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    'rebind.example': ['93.184.215.14', '10.0.0.5'],
    'mapped.example': ['::ffff:192.168.0.1'],
  });
  await expect(resolveWebhookTarget('https://good.example/h', strict, dns)).resolves.toMatchObject({
    addresses: [{ address: '93.184.215.14' }, { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c' }],
  });
  await expect(resolveWebhookTarget('https://rebind.example/h', strict, dns)).rejects.toThrow(/10\.0\.0\.5/);
  await expect(resolveWebhookTarget('https://mapped.example/h', strict, dns)).rejects.toThrow(/not a public/);
  await expect(resolveWebhookTarget('https://nowhere.example/h', strict, dns)).rejects.toThrow(/no address/);
  await expect(resolveWebhookTarget('https://rebind.example/h', lax, dns)).resolves.toBeDefined();
});

test('the system resolver is used by default: localhost resolves to loopback and is refused', async () => {
  const plain = { allowPrivateAddresses: false, allowedHosts: undefined };
  // `localhost` is refused by name before resolution; a name that resolves to loopback is refused after it.
  await expect(resolveWebhookTarget('http://localhost/', plain)).rejects.toThrow(/this machine/);
  await expect(resolveWebhookTarget('http://127.0.0.1/', lax)).resolves.toMatchObject({
    addresses: [{ address: '127.0.0.1', family: 4 }],
  });
});

test('guardedLookup makes an HTTP request fail to connect when the name resolves to a refused address', async () => {
  const server = http.createServer((_req, res) => res.end('reached'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dns = fakeDns({ 'hooks.example': ['127.0.0.1'] });
  const get = (policy: typeof strict) =>
    new Promise<string>((resolve, reject) => {
      const req = http.get(`http://hooks.example:${port}/`, { lookup: guardedLookup(policy, dns) as never }, (res) => {
        res.setEncoding('utf8');
        let body = '';
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
    });
  try {
    await expect(get(strict)).rejects.toThrow(WebhookUrlRefused);
    await expect(get(lax)).resolves.toBe('reached');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test("every URL the API's documented pattern allows passes the check where private addresses are allowed", () => {
  // The OpenAPI pattern is what clients and the fuzzer go by: a URL it allows must not be refused for its shape.
  const pattern = new RegExp(URL_PATTERN);
  fc.assert(
    fc.property(fc.stringMatching(pattern, { size: 'medium' }), (url) => {
      fc.pre(url.length <= MAX_WEBHOOK_URL_LENGTH);
      expect(checkWebhookUrl(url, lax).protocol).toMatch(/^https?:$/);
    }),
    { numRuns: 2000, seed: 18 },
  );
});
