/** A cluster's processes carry its data directory in their environment, so a later start can stop any left over. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLUSTER_MARK, clusterProcesses, reapLeftovers } from '../../scripts/cluster/cluster';

test('processes marked with a data directory are found and stopped, others are not', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-reap-'));
  const start = (mark: string) => {
    const child = spawn('sleep', ['120'], { env: { ...process.env, [CLUSTER_MARK]: mark }, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
    return { child, exited };
  };
  const ours = start(dir);
  const other = start(`${dir}-other`);
  try {
    expect(clusterProcesses(dir)).toEqual([ours.child.pid]);
    expect(reapLeftovers(dir)).toEqual([ours.child.pid]);
    expect(await ours.exited).toBe('SIGKILL');
    expect(clusterProcesses(dir)).toEqual([]);
    expect(other.child.exitCode).toBeNull();
  } finally {
    ours.child.kill('SIGKILL');
    other.child.kill('SIGKILL');
    await other.exited;
  }
});
