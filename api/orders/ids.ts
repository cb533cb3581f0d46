/** Deterministic order ids and request fingerprints: the idempotency of POST /checkout rests on these two. */
import { createHash } from 'node:crypto';

/** Namespace of Orderly order ids (a fixed random UUID), so our v5 ids never collide with another system's. */
const ORDER_NAMESPACE = '6f1c0c5e-3f0a-4d8e-9b7a-2f4f2a7d9c11';

/** RFC 4122 version-5 UUID (SHA-1 of namespace + name). */
export function uuidV5(name: string, namespace = ORDER_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The order a customer's Idempotency-Key stands for: same customer and key, same order, forever. */
export function orderIdFor(customerId: string, idempotencyKey: string): string {
  return uuidV5(`${customerId}\n${idempotencyKey}`);
}

/** JSON with object keys sorted at every level, so key order in the request does not change the hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
