/**
 * `make start` for real (scripts/dev.ts on free ports and a scratch DATA_DIR): ready answers 200, the Web UI answers,
 * SIGINT stops everything it started, and a second start finds the workflows and the catalog it left behind.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { freePort, portInUse } from '../../scripts/temporal-dev-server';
import { waitFor } from '../support/wait';

jest.setTimeout(300_000);

const root = path.resolve(__dirname, '..', '..');

interface Started {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function untilReady(url: string, started: Started, timeoutMs = 150_000): Promise<void> {
  const answer = await waitFor(
    `${url}/ready to answer 200`,
    async () => {
      if (started.child.exitCode !== null) return 'exited';
      return fetch(`${url}/ready`).then(
        (res) => res.status,
        () => 'not listening',
      );
    },
    (a) => a === 200 || a === 'exited',
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${started.output()}`);
  });
  if (answer === 'exited') throw new Error(`make start exited early (${started.child.exitCode}):\n${started.output()}`);
}

async function stop(started: Started): Promise<number | null> {
  started.child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    started.exited,
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 60_000))),
  ]);
  clearTimeout(timer);
  if (code === 'timeout') {
    started.child.kill('SIGKILL');
    throw new Error(`make start did not stop within 60 s:\n${started.output()}`);
  }
  return code;
}

function devServerProcesses(temporalPort: number): string {
  const r = spawnSync('pgrep', ['-af', `temporal server start-dev .*--port ${temporalPort} `], { encoding: 'utf8' });
  return r.stdout.trim();
}

test('make start comes up ready, stops cleanly on SIGINT, and keeps workflows and data across a restart', async () => {
  const dataDir = fs.mkdtempSync(path.join(process.env.ORDERLY_TEST_TMP ?? os.tmpdir(), 'make-start-'));
  const [port, temporalPort, uiPort, sinkPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    PORT: String(port),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    SMTP_SINK_PORT: String(sinkPort),
    LOG_LEVEL: 'info',
    ...(process.env.ORDERLY_TEMPORAL_CLI ? { TEMPORAL_CLI: process.env.ORDERLY_TEMPORAL_CLI } : {}),
  };
  const api = `http://127.0.0.1:${port}`;
  const workflowId = `survives-restart-${randomUUID()}`;
  let current: Started | undefined;
  try {
    // First start: everything from scratch.
    current = start(env);
    await untilReady(api, current);
    // The banner follows /ready by a moment (it mints the demo tokens first).
    const started = current;
    await waitFor(
      'the banner',
      async () => started.output(),
      (out) => out.includes('Customer token'),
    );
    expect(current.output()).toContain('using the embedded PGlite database');
    expect(current.output()).toContain('demo catalog loaded');
    for (const line of [
      'Emails',
      'API docs',
      `${api}/docs`,
      `${api}/openapi.json`,
      `http://localhost:${uiPort}`,
      'Admin token',
      'Customer token',
    ]) {
      expect(current.output()).toContain(line);
    }
    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    expect(ui.status).toBeLessThan(500);
    await ui.arrayBuffer();
    // The Web UI decrypts payloads through the API's codec server, which lets that UI's origin in without a token
    // (development only) and nobody else (docs/security.md).
    const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as {
      Codec: { Endpoint: string };
    };
    expect(settings.Codec.Endpoint).toBe(`http://localhost:${port}/codec`);
    const decode = (headers: Record<string, string>) =>
      fetch(`${api}/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      });
    const fromUi = await decode({ origin: `http://localhost:${uiPort}` });
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(`http://localhost:${uiPort}`);
    expect(await fromUi.json()).toEqual({ payloads: [] });
    const stranger = await decode({});
    expect(stranger.status).toBe(401);
    await stranger.arrayBuffer();

    // A workflow no worker runs stays open: it must still be there after the restart (file-backed dev server).
    const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    try {
      await new Client({ connection }).workflow.start('nobodyRunsThis', {
        taskQueue: 'nobody-polls',
        workflowId,
        args: [],
      });
    } finally {
      await connection.close();
    }

    expect(await stop(current)).toBe(0);
    for (const part of ['api', 'worker', 'smtp sink', 'database', 'temporal dev server'])
      expect(current.output()).toContain(`${part} stopped`);
    expect(devServerProcesses(temporalPort)).toBe('');
    expect(await portInUse(temporalPort)).toBe(false);
    expect(await portInUse(port)).toBe(false);

    // Second start on the same DATA_DIR: same workflows, the catalog is not loaded twice.
    current = start(env);
    await untilReady(api, current);
    expect(current.output()).toContain('demo catalog already present');
    const again = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    try {
      const described = await new Client({ connection: again }).workflow.getHandle(workflowId).describe();
      expect(described.status.name).toBe('RUNNING');
    } finally {
      await again.close();
    }
    expect(await stop(current)).toBe(0);
    expect(devServerProcesses(temporalPort)).toBe('');
  } finally {
    if (current && current.child.exitCode === null) current.child.kill('SIGKILL');
    const leftover = devServerProcesses(temporalPort);
    // Only the dev server this test started (its port is unique to this run), and only if the test failed.
    for (const line of leftover ? leftover.split('\n') : []) process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
