/**
 * stripe-mock, Stripe's official API mock, for the Stripe provider's tests: built into .tools/ when missing, started on
 * a loopback port the system picks, stopped in afterAll. It keeps no state: every PaymentIntent it returns comes from
 * its fixtures, so a test picks the state those fixtures give (e.g. `requires_capture`, an authorization), and
 * `startStripeStates` puts several such instances behind one address for a checkout that goes through several states.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** Fields to override in other resources' fixtures, by resource name, e.g. `{ refund: { amount: 1999 } }`. */
export type ResourceFixtures = Record<string, Record<string, unknown>>;

export async function startStripeMock(
  paymentIntent: PaymentIntentFixture = {},
  resources: ResourceFixtures = {},
): Promise<StripeMock> {
  const tool = stripeMock((m) => console.error(`[stripe-mock] ${m}`));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-stripe-mock-'));
  const fixtures = JSON.parse(fs.readFileSync(tool.fixtures, 'utf8')) as { resources: Record<string, object> };
  for (const [name, fields] of Object.entries({ ...resources, payment_intent: paymentIntent }))
    fixtures.resources[name] = { ...fixtures.resources[name], ...fields };
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

/** A request the router passed on to stripe-mock. */
export interface StripeRequest {
  method: string;
  /** Without the query string, e.g. /v1/payment_intents/pi_123/capture. */
  path: string;
  query: URLSearchParams;
  /** The form body Stripe's SDK sent. */
  params: URLSearchParams;
  idempotencyKey: string | undefined;
  /** The stripe-mock instance that answered, i.e. the state the test had Stripe in. */
  state: string;
  /** The answer never reached the caller: the router dropped the connection after stripe-mock answered. */
  lost: boolean;
}

export interface StripeStates<S extends string> {
  apiBase: string;
  /** Every request, in the order they arrived. */
  requests: StripeRequest[];
  /** From now on, this state's stripe-mock answers. */
  use(state: S): void;
  /** Requests for which this holds reach stripe-mock, but their answer is lost (the connection is dropped). */
  loseAnswers(match: ((r: StripeRequest) => boolean) | null): void;
  stop(): Promise<void>;
}

/**
 * stripe-mock instances, one per state a PaymentIntent can be in (each started with that state's fixtures), behind
 * one loopback address. stripe-mock never moves an intent from one state to the next; the test does, by choosing
 * which instance answers (what real Stripe would hold at that point, e.g. `requires_capture` once the customer
 * completed 3-D Secure). Every answer is stripe-mock's own; the router only picks one, records the request, and can
 * drop an answer on its way back, as a network fault would.
 */
export async function startStripeStates<S extends string>(
  states: Record<S, { paymentIntent: PaymentIntentFixture; resources?: ResourceFixtures }>,
  initial: NoInfer<S>,
): Promise<StripeStates<S>> {
  const names = Object.keys(states) as S[];
  const mocks = new Map<S, StripeMock>();
  const started = await Promise.allSettled(
    names.map(async (n) => mocks.set(n, await startStripeMock(states[n].paymentIntent, states[n].resources))),
  );
  const stopMocks = () => Promise.all([...mocks.values()].map((m) => m.stop()));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stopMocks();
    throw failed.reason;
  }

  let current = initial;
  let lose: ((r: StripeRequest) => boolean) | null = null;
  const requests: StripeRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://stripe');
      const seen: StripeRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        params: new URLSearchParams(body.toString()),
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        state: current,
        lost: false,
      };
      seen.lost = lose?.(seen) ?? false;
      requests.push(seen);
      const upstream = new URL(mocks.get(current)!.apiBase);
      const out = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          if (seen.lost) {
            answer.resume();
            answer.on('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', (err) => res.destroy(err));
      out.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    apiBase: `http://127.0.0.1:${port}`,
    requests,
    use: (state) => void (current = state),
    loseAnswers: (match) => void (lose = match),
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await stopMocks();
    },
  };
}
