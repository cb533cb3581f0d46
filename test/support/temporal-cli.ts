/** The Temporal CLI against the tests' dev server, as an operator runs it: lists, and histories saved as fixtures. */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { resolveTemporalCli } from '../../scripts/temporal-cli';

/** Runs `temporal <args> --address <the tests' server>` and returns what it printed. */
export function temporalCli(args: string[]): string {
  const cli = process.env.ORDERLY_TEMPORAL_CLI ?? resolveTemporalCli();
  const address = process.env.ORDERLY_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('ORDERLY_TEST_TEMPORAL_ADDRESS is not set: run through jest (global setup)');
  return execFileSync(cli, [...args, '--address', address], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/**
 * Saves the workflow's history to test/fixtures/histories/<file>, exported by the CLI itself
 * (`temporal workflow show --output json`), the format operators get and the replay tests read.
 */
export function saveHistoryFixture(workflowId: string, file: string): void {
  const json = temporalCli(['workflow', 'show', '--workflow-id', workflowId, '--output', 'json']);
  const dir = path.resolve(__dirname, '..', 'fixtures', 'histories');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), json.endsWith('\n') ? json : `${json}\n`);
}
