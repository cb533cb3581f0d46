/** PAYLOAD_KEYS and PAYLOAD_KEY_ID: parsed strictly, required in production, and the codec's key handling. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../lib/config';
import { ENCRYPTED_ENCODING, EncryptionCodec, KEY_ID_METADATA, PayloadDecryptionError } from '../../lib/payload-codec';
import { DEV_PAYLOAD_KEY } from '../../lib/payload-keys';
import { clusterPayloadKeys } from '../../scripts/cluster/payload-keys';

const b64 = () => randomBytes(32).toString('base64');
const PRODUCTION = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(40), PAYMENT_WEBHOOK_SECRET: 'y'.repeat(20) };

function problems(env: Record<string, string>): Record<string, string> {
  try {
    loadConfig(env);
    return {};
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return Object.fromEntries(err.problems.map((p) => [p.name, p.message]));
  }
}

test('unset, development and tests use the public development key', () => {
  expect(loadConfig({}).payloadKeys).toEqual({ activeId: DEV_PAYLOAD_KEY.id, keys: [DEV_PAYLOAD_KEY] });
});

test('bad PAYLOAD_KEYS and PAYLOAD_KEY_ID are named with the reason', () => {
  expect(problems({ PAYLOAD_KEYS: 'no-colon' })).toEqual({ PAYLOAD_KEYS: expect.stringContaining('id:base64key') });
  expect(problems({ PAYLOAD_KEYS: 'k1:c2hvcnQ=' })).toEqual({ PAYLOAD_KEYS: expect.stringContaining('32 bytes') });
  expect(problems({ PAYLOAD_KEYS: `k1:${b64()},k1:${b64()}` })).toEqual({
    PAYLOAD_KEYS: expect.stringContaining('twice'),
  });
  expect(problems({ PAYLOAD_KEYS: `k1:${b64()},k2:${b64()}` })).toEqual({
    PAYLOAD_KEY_ID: expect.stringContaining('required with more than one key'),
  });
  expect(problems({ PAYLOAD_KEYS: `k1:${b64()}`, PAYLOAD_KEY_ID: 'k9' })).toEqual({
    PAYLOAD_KEY_ID: expect.stringContaining('names no key'),
  });
  expect(problems({ CODEC_CORS_ORIGINS: 'http://localhost:8233/' })).toEqual({
    CODEC_CORS_ORIGINS: expect.stringContaining('origin'),
  });
});

test('production needs keys of its own: none, or the development key under any id, is refused', () => {
  expect(problems(PRODUCTION)).toEqual({ PAYLOAD_KEYS: 'required when NODE_ENV=production' });
  const devKey = `mine:${DEV_PAYLOAD_KEY.key.toString('base64')}`;
  expect(problems({ ...PRODUCTION, PAYLOAD_KEYS: devKey })).toEqual({
    PAYLOAD_KEYS: expect.stringContaining('public'),
  });
  const keys = `k1:${b64()},k2:${b64()}`;
  expect(loadConfig({ ...PRODUCTION, PAYLOAD_KEYS: keys, PAYLOAD_KEY_ID: 'k2' }).payloadKeys.activeId).toBe('k2');
});

test('the codec encrypts with the active key, decrypts with any listed key, and rejects relabelled ciphertext', async () => {
  const k1 = { id: 'k1', key: randomBytes(32) };
  const k2 = { id: 'k2', key: randomBytes(32) };
  const plain = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"email":"ada@example.com"}') };
  const old = new EncryptionCodec({ activeId: 'k1', keys: [k1] });
  const rotated = new EncryptionCodec({ activeId: 'k2', keys: [k1, k2] });
  const [underK1] = await old.encode([plain]);
  const [underK2] = await rotated.encode([plain]);
  expect(Buffer.from(underK1!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
  expect(Buffer.from(underK2!.metadata![KEY_ID_METADATA]!).toString()).toBe('k2');
  expect(Buffer.from(underK2!.data!).includes('ada@example.com')).toBe(false);
  for (const p of await rotated.decode([underK1!, underK2!]))
    expect(Buffer.from(p.data!).toString()).toBe(plain.data.toString());
  await expect(old.decode([underK2!])).rejects.toThrow(PayloadDecryptionError);
  const relabelled = { ...underK2!, metadata: { ...underK2!.metadata, [KEY_ID_METADATA]: Buffer.from('k1') } };
  await expect(rotated.decode([relabelled])).rejects.toThrow(/does not decrypt/);
  // Payloads written before encryption pass through.
  expect(await rotated.decode([plain])).toEqual([plain]);
});

test("make cluster's own key is generated once and kept; the operator's PAYLOAD_KEYS wins", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-keys-'));
  try {
    const first = clusterPayloadKeys(dir, {});
    expect(loadConfig({ ...PRODUCTION, ...first }).payloadKeys.keys).toHaveLength(1);
    expect(clusterPayloadKeys(dir, {})).toEqual(first);
    expect(fs.statSync(path.join(dir, 'payload-keys')).mode & 0o777).toBe(0o600);
    expect(clusterPayloadKeys(dir, { PAYLOAD_KEYS: `k1:${b64()}` })).toEqual({});
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
