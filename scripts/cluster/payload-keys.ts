/**
 * The payload key of `make cluster` when the operator gives none (PAYLOAD_KEYS unset): generated once and kept in
 * the data directory, because Temporal's database outlives a run and its histories stay encrypted with this key.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const CLUSTER_KEY_FILE = 'payload-keys';

/** PAYLOAD_KEYS for the replicas: the operator's if set (they inherit it), else the data directory's own key. */
export function clusterPayloadKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env.PAYLOAD_KEYS) return {};
  const file = path.join(dataDir, CLUSTER_KEY_FILE);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    const id = `cluster-${new Date().toISOString().slice(0, 10)}`;
    // wx: two runners starting at once must not each write their own key.
    try {
      fs.writeFileSync(file, `${id}:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return { PAYLOAD_KEYS: fs.readFileSync(file, 'utf8').trim() };
}
