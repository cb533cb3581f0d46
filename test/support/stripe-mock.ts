/**
 * stripe-mock, Stripe's official API mock, for the Stripe provider's tests: built into .tools/ when missing, started on
 * a loopback port the system picks, stopped in afterAll. It keeps no state: every PaymentIntent it returns comes from
 * its fixtures, so a test picks the state those fixtures give (e.g. `requires_capture`, an authorization).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { stripeMock } from '../../scripts/cluster/tools';
import { waitFor } from './wait';

export interface StripeMock {
  /** e.g. http://127.0.0.1:40123 */
  apiBase: string;
  stop(): Promise<void>;
}

/** Fields of the PaymentIntent fixture to override, e.g. `{ status: 'requires_capture' }`. */
export type PaymentIntentFixture = Record<string, unknown>;

export async function startStripeMock(paymentIntent: PaymentIntentFixture = {}): Promise<StripeMock> {
  const tool = stripeMock((m) => console.error(`[stripe-mock] ${m}`));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-stripe-mock-'));
  const fixtures = JSON.parse(fs.readFileSync(tool.fixtures, 'utf8')) as { resources: Record<string, object> };
  fixtures.resources.payment_intent = { ...fixtures.resources.payment_intent, ...paymentIntent };
  const fixturesPath = path.join(dir, 'fixtures.json');
  fs.writeFileSync(fixturesPath, JSON.stringify(fixtures));

  // Loopback only: HTTP on a port the system picks (read back from its log), HTTPS on a unix socket nobody uses.
  const child: ChildProcess = spawn(
    tool.binary,
    ['-http-addr', '127.0.0.1:', '-https-unix', path.join(dir, 'https.sock'), '-fixtures', fixturesPath],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const address = await waitFor(
      'stripe-mock to listen',
      async () => {
        if (child.exitCode !== null) throw new Error(`stripe-mock exited ${child.exitCode}: ${output}`);
        return /Listening for HTTP at address: (127\.0\.0\.1:\d+)/.exec(output)?.[1];
      },
      (a) => a !== undefined,
      20_000,
    );
    return { apiBase: `http://${address}`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
