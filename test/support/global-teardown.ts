/** Stops the dev server that global setup started and removes its scratch folder. */
import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__ORDERLY_TEMPORAL__?.stop();
  if (globalThis.__ORDERLY_TMP__) fs.rmSync(globalThis.__ORDERLY_TMP__, { recursive: true, force: true });
}
