/**
 * Worker Versioning operations the runner needs: make a build current once its workers poll, with the Temporal CLI
 * command an operator runs (docs/chaos.md), and read the deployment back through the client.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Client, Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../temporal-cli';

const run = promisify(execFile);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface DeploymentState {
  currentBuildId: string | undefined;
  versions: { buildId: string; drainageStatus: string | undefined }[];
}

export async function describeDeployment(client: Client, deploymentName: string): Promise<DeploymentState> {
  const res = await client.workflowService.describeWorkerDeployment({
    namespace: client.options.namespace,
    deploymentName,
  });
  const info = res.workerDeploymentInfo;
  return {
    currentBuildId: info?.routingConfig?.currentDeploymentVersion?.buildId ?? undefined,
    versions: (info?.versionSummaries ?? []).map((v) => ({
      buildId: v.deploymentVersion?.buildId ?? '',
      drainageStatus: v.drainageStatus == null ? undefined : String(v.drainageStatus),
    })),
  };
}

/**
 * Sets `buildId` current: `temporal worker deployment set-current-version --deployment-name <name> --build-id <id>
 * --yes` against the client's server and namespace. The server refuses a version none of whose workers has polled
 * yet, so this retries (bounded) until the new workers have registered it.
 */
export async function setCurrentVersion(
  client: Client,
  deploymentName: string,
  buildId: string,
  timeoutMs = 60_000,
): Promise<void> {
  const cli = resolveTemporalCli();
  const env = {
    ...process.env,
    // The runner and the tests connect with a Connection, which knows its address.
    TEMPORAL_ADDRESS: (client.connection as Connection).options.address,
    TEMPORAL_NAMESPACE: client.options.namespace,
  };
  const args = ['worker', 'deployment', 'set-current-version', '--deployment-name', deploymentName];
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await run(cli, [...args, '--build-id', buildId, '--yes'], { env, timeout: 30_000 });
      if ((await describeDeployment(client, deploymentName)).currentBuildId === buildId) return;
    } catch (err) {
      last = err instanceof Error && 'stderr' in err ? String((err as { stderr: unknown }).stderr).trim() : err;
    }
    await sleep(500);
  }
  throw new Error(`could not make ${deploymentName}/${buildId} current within ${timeoutMs} ms: ${String(last)}`);
}
