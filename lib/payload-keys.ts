/**
 * The AES-256 keys that encrypt workflow payloads (lib/payload-codec.ts), as PAYLOAD_KEYS and PAYLOAD_KEY_ID give
 * them: every key a process can decrypt with, each under an id, and the one new payloads are encrypted with.
 */
import { createHash } from 'node:crypto';

export interface PayloadKey {
  id: string;
  key: Buffer;
}

export interface PayloadKeys {
  /** The id of the key new payloads are encrypted with. */
  activeId: string;
  keys: PayloadKey[];
}

export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** 32 bytes in standard base64 (`openssl rand -base64 32`). */
const KEY_PATTERN = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Development and tests only: a fixed key anyone can derive from this source, so `make start` and the tests need no
 * set-up and the recorded histories in test/fixtures replay. Production refuses it (lib/config.ts).
 */
export const DEV_PAYLOAD_KEY: PayloadKey = {
  id: 'dev-not-secret',
  key: createHash('sha256').update('orderly development payload key: public, never use in production').digest(),
};

/** Parses `id:base64key,id:base64key`; returns the keys or the reason they are unusable. */
export function parsePayloadKeys(value: string): PayloadKey[] | string {
  const keys: PayloadKey[] = [];
  for (const entry of value.split(',').map((e) => e.trim())) {
    const colon = entry.indexOf(':');
    const id = entry.slice(0, colon);
    const key = entry.slice(colon + 1);
    if (colon < 0 || !KEY_ID_PATTERN.test(id))
      return 'expected id:base64key[,id:base64key...] with ids of letters, digits, ".", "_" or "-"';
    if (!KEY_PATTERN.test(key)) return `key "${id}" must be 32 bytes in base64 (openssl rand -base64 32)`;
    if (keys.some((k) => k.id === id)) return `key id "${id}" appears twice`;
    keys.push({ id, key: Buffer.from(key, 'base64') });
  }
  return keys;
}

/** True when a key is the public development key, whatever id it was given. */
export function isDevKey(key: PayloadKey): boolean {
  return key.key.equals(DEV_PAYLOAD_KEY.key);
}
