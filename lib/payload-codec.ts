/**
 * AES-256-GCM payload encryption for every Temporal client and worker: workflow inputs, results, signals, updates,
 * activity arguments, memos and summaries reach the Temporal server (and its database, its UI) as ciphertext. The
 * codec server (api/routes/codec.ts) decrypts them for operators.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PayloadKey, PayloadKeys } from './payload-keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = temporal.api.common.v1.Payload;

/** A payload that cannot be decrypted here: an unknown key id, or bytes that fail authentication. */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/**
 * Encrypts the whole serialized payload (data and metadata, so not even the encoding shows) with the active key,
 * and decrypts with whichever key the payload names. Payloads without the encrypted encoding pass through: histories
 * written before encryption still replay and decode.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly active: PayloadKey;
  private readonly byId: Map<string, Buffer>;

  constructor(keys: PayloadKeys) {
    const active = keys.keys.find((k) => k.id === keys.activeId);
    if (!active) throw new Error(`the active payload key "${keys.activeId}" is not among the keys`);
    this.active = active;
    this.byId = new Map(keys.keys.map((k) => [k.id, k.key]));
  }

  get activeKeyId(): string {
    return this.active.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.active.key, iv);
      // The key id is authenticated too: a payload relabelled with another id fails to decrypt.
      cipher.setAAD(Buffer.from(this.active.id, 'utf8'));
      const plain = ProtoPayload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: Buffer.from(this.active.id),
        },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const id = text(payload.metadata?.[KEY_ID_METADATA]);
      const key = id === undefined ? undefined : this.byId.get(id);
      if (!key || id === undefined)
        throw new PayloadDecryptionError(
          `payload encrypted with key "${id ?? '(none)'}", which is not in PAYLOAD_KEYS`,
        );
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload is truncated');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(id, 'utf8'));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return ProtoPayload.decode(plain) as Payload;
      } catch {
        throw new PayloadDecryptionError(`payload does not decrypt with key "${id}" (altered, or another key)`);
      }
    });
  }
}

/** The data converter every client, worker and replayer of Orderly's workflows uses. */
export function encryptingDataConverter(keys: PayloadKeys): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keys)] };
}
