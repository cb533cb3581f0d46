/**
 * Worker Versioning operations the runner needs, through the client's WorkflowService (the same calls as
 * `temporal worker deployment set-current-version` and `describe`): make a build current once its workers poll.
 */
import type { Client } from '@temporalio/client';

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
 * Sets `buildId` current. The server refuses a version none of whose workers have polled yet, so this retries
 * (bounded) until the new workers have registered it.
 */
export async function setCurrentVersion(
  client: Client,
  deploymentName: string,
  buildId: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: client.options.namespace,
        deploymentName,
        buildId,
        identity: 'orderly-chaos',
      });
      if ((await describeDeployment(client, deploymentName)).currentBuildId === buildId) return;
    } catch (err) {
      last = err;
    }
    await sleep(500);
  }
  throw new Error(`could not make ${deploymentName}/${buildId} current within ${timeoutMs} ms: ${String(last)}`);
}
