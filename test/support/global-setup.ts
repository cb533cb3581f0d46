/**
 * Jest global setup: one Temporal dev server (in memory, free ports) and one workflow bundle for the whole run.
 * With TEMPORAL_ADDRESS set, tests connect to that server instead of starting one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import { freePort, startDevServer, type DevServer } from '../../scripts/temporal-dev-server';
import { buildWorkflowBundle } from '../../scripts/build-workflow-bundle';

declare global {
  var __ORDERLY_TEMPORAL__: DevServer | undefined;
  var __ORDERLY_TMP__: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-test-'));
  globalThis.__ORDERLY_TMP__ = tmp;
  process.env.ORDERLY_TEST_TMP = tmp;
  // Each test file logs here (test/support/logs.ts); the folder is kept when a test fails.
  process.env.ORDERLY_TEST_LOGS = path.join(tmp, 'logs');
  fs.mkdirSync(process.env.ORDERLY_TEST_LOGS);
  process.env.ORDERLY_WORKFLOW_BUNDLE = await buildWorkflowBundle(path.join(tmp, 'workflow-bundle.js'));

  if (process.env.TEMPORAL_ADDRESS) {
    process.env.ORDERLY_TEST_TEMPORAL_ADDRESS = process.env.TEMPORAL_ADDRESS;
    return;
  }
  const cli = resolveTemporalCli();
  process.env.ORDERLY_TEMPORAL_CLI = cli;
  const server = await startDevServer({
    cli,
    port: await freePort(),
    logFile: fs.createWriteStream(path.join(tmp, 'temporal.log')),
  });
  globalThis.__ORDERLY_TEMPORAL__ = server;
  // If jest dies without running global teardown (an uncaught error), the dev server must not outlive it.
  process.once('exit', () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });
  process.env.ORDERLY_TEST_TEMPORAL_ADDRESS = server.address;
}
