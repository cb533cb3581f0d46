/**
 * Payload keys of the tests: the public development key (what the harness uses) and a second fixed key that the
 * key-rotation test rotates to. The recorded encrypted histories in test/fixtures replay with these two.
 */
import { createHash } from 'node:crypto';
import { DEV_PAYLOAD_KEY, type PayloadKey, type PayloadKeys } from '../../lib/payload-keys';

export const ROTATED_TEST_KEY: PayloadKey = {
  id: 'test-rotated',
  key: createHash('sha256').update('orderly test key the rotation test rotates to: public').digest(),
};

/** PAYLOAD_KEYS as the environment would give the two keys. */
export const ROTATED_PAYLOAD_KEYS = [DEV_PAYLOAD_KEY, ROTATED_TEST_KEY]
  .map((k) => `${k.id}:${k.key.toString('base64')}`)
  .join(',');

/** Every key a recorded fixture may be encrypted with; new payloads use the rotated one. */
export const FIXTURE_PAYLOAD_KEYS: PayloadKeys = {
  activeId: ROTATED_TEST_KEY.id,
  keys: [DEV_PAYLOAD_KEY, ROTATED_TEST_KEY],
};
