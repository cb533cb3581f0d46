/**
 * `make cluster`'s topology (scripts/cluster/) as the chaos scenarios see it: the Temporal server on PostgreSQL,
 * Mailpit, HAProxy, API and worker replicas on compiled or tsx'd code. Its PostgreSQL is a private instance
 * (postgres.ts), passed to the cluster as DATABASE_URL, so scenario 4 can restart it without touching the machine's.
 */
import { startCluster, type ApiReplica } from '../cluster/cluster';
import { freePort } from '../temporal-dev-server';
import { mailpitMailSource } from './mail';
import { startPrivatePostgres } from './postgres';
import { asProc, type Proc, type Topology, type TopologyOptions } from './topology';

const JWT_SECRET = 'orderly-chaos-jwt-secret-0123456789abcdef';
const WEBHOOK_SECRET = 'orderly-chaos-webhook-secret-0123456789';
const DEPLOYMENT = 'orderly';
const CANCELLATION_WINDOW_S = 15;

/** An API replica: a SIGTERM drains it in HAProxy first, as a deploy would; SIGKILL is a crash. */
function api(r: ApiReplica): Proc {
  return {
    name: r.name,
    get running() {
      return r.proc.running;
    },
    start: () => r.start(),
    stop: async (signal = 'SIGTERM') => {
      if (signal === 'SIGKILL') {
        await r.kill();
        return true;
      }
      await r.stop();
      return r.proc.lastExit?.signal !== 'SIGKILL';
    },
  };
}

export async function startClusterTopology(opts: TopologyOptions): Promise<Topology> {
  const { log } = opts;
  log('starting a private PostgreSQL for the cluster');
  const pg = await startPrivatePostgres({ dir: opts.dir, port: await freePort() });
  try {
    const cluster = await startCluster({
      port: await freePort(),
      temporalPort: await freePort(),
      uiPort: await freePort(),
      mailpitPort: await freePort(),
      smtpPort: await freePort(),
      apiReplicas: opts.apiReplicas,
      workerReplicas: opts.workerReplicas,
      databaseUrl: pg.url,
      namespace: 'default',
      taskQueue: 'checkout',
      dataDir: opts.dir,
      jwtSecret: JWT_SECRET,
      webhookSecret: WEBHOOK_SECRET,
      orderlyEnv: {
        PAYMENT_CONFIRMATION_TIMEOUT: '2m',
        CANCELLATION_WINDOW: `${CANCELLATION_WINDOW_S}s`,
        WORKER_DEPLOYMENT_NAME: DEPLOYMENT,
        WORKER_BUILD_ID: opts.build.buildId,
        WORKFLOW_BUNDLE_PATH: opts.build.bundlePath,
      },
      log: (m) => log(`cluster: ${m}`),
    });
    const databases = [cluster.pg.database, cluster.pg.temporalDatabase, cluster.pg.visibilityDatabase];
    const topology: Topology = {
      describe:
        `make cluster: private PostgreSQL, Temporal server on it, Mailpit, ${cluster.apis.length} API + ` +
        `${cluster.workers.length} worker replicas, HAProxy`,
      baseUrl: cluster.urls.api.replace('localhost', '127.0.0.1'),
      databaseUrl: cluster.urls.database,
      temporal: { address: cluster.urls.temporal, namespace: 'default', taskQueue: 'checkout' },
      secrets: { jwt: JWT_SECRET, webhook: WEBHOOK_SECRET },
      cancellationWindowMs: CANCELLATION_WINDOW_S * 1000,
      mail: mailpitMailSource(cluster.urls.mailpit.replace('localhost', '127.0.0.1')),
      apis: cluster.apis.map(api),
      workers: cluster.workers.map(asProc),
      temporalServer: asProc(cluster.temporal),
      mailServer: asProc(cluster.mailpit),
      postgres: {
        terminateConnections: () => pg.terminateConnections(databases),
        restart: () => pg.restart(),
      },
      deployment: { name: DEPLOYMENT, current: opts.build },
      startWorkers: async (build) => {
        // The cluster's workers share one environment object: give each running worker its own copy first, so
        // the new build's variables reach only the workers started now.
        for (const w of cluster.workers) w.spec.env = { ...w.spec.env };
        Object.assign(cluster.orderlyEnv, { WORKER_BUILD_ID: build.buildId, WORKFLOW_BUNDLE_PATH: build.bundlePath });
        const fresh = await Promise.all(topology.workers.map(() => cluster.addWorker()));
        for (const w of fresh) w.spec.env = { ...w.spec.env };
        return fresh.map(asProc);
      },
      close: async () => {
        await cluster.stop();
        await pg.stop();
      },
    };
    return topology;
  } catch (err) {
    await pg.stop();
    throw err;
  }
}
