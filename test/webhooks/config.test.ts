/** The webhook settings: private addresses allowed outside production only, and bad values named at start. */
import { ConfigError, loadConfig } from '../../lib/config';

const production = {
  NODE_ENV: 'production',
  AUTH_JWT_SECRET: 'x'.repeat(40),
  PAYMENT_WEBHOOK_SECRET: 'y'.repeat(20),
  PAYLOAD_KEYS: `k1:${'A'.repeat(43)}=`,
};

test('private addresses are allowed in development and tests, refused in production unless set', () => {
  expect(loadConfig({}).webhooks.allowPrivateAddresses).toBe(true);
  expect(loadConfig({ NODE_ENV: 'test' }).webhooks.allowPrivateAddresses).toBe(true);
  expect(loadConfig(production).webhooks.allowPrivateAddresses).toBe(false);
  expect(loadConfig({ ...production, WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' }).webhooks.allowPrivateAddresses).toBe(
    true,
  );
  expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'false' }).webhooks.allowPrivateAddresses).toBe(false);
});

test('the allowed hosts are a trimmed, lower-cased list; unset or empty means any host', () => {
  expect(loadConfig({ WEBHOOK_ALLOWED_HOSTS: ' Hooks.Example.com, *.partner.example ' }).webhooks.allowedHosts).toEqual(
    ['hooks.example.com', '*.partner.example'],
  );
  expect(loadConfig({ WEBHOOK_ALLOWED_HOSTS: '' }).webhooks.allowedHosts).toBeUndefined();
  expect(loadConfig({}).webhooks).toEqual({
    allowPrivateAddresses: true,
    allowedHosts: undefined,
    secretRotationGrace: '24h',
  });
});

test.each([
  ['WEBHOOK_ALLOW_PRIVATE_ADDRESSES', 'yes'],
  ['WEBHOOK_ALLOWED_HOSTS', 'https://hooks.example.com'],
  ['WEBHOOK_ALLOWED_HOSTS', 'a.example,*'],
  ['WEBHOOK_SECRET_ROTATION_GRACE', 'a day'],
])('%s=%s is refused at start, by name', (name, value) => {
  try {
    loadConfig({ [name]: value });
    throw new Error('accepted');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.name)).toEqual([name]);
  }
});
