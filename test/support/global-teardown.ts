/**
 * Stops the dev server that global setup started and removes its scratch folder, unless a test failed: then the
 * folder stays for its logs (the summary reporter said where).
 */
import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__ORDERLY_TEMPORAL__?.stop();
  const tmp = globalThis.__ORDERLY_TMP__;
  if (!tmp) return;
  if (process.env.ORDERLY_TEST_KEEP_LOGS) {
    // The workflow bundle is the only large file and says nothing about the failure.
    fs.rmSync(process.env.ORDERLY_WORKFLOW_BUNDLE ?? '', { force: true });
    return;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
