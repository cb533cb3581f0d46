/**
 * `make cluster`: the production topology on this machine until Ctrl-C (see docs/production.md). Reads the same
 * variables as `make start` where they mean the same thing (PORT, TEMPORAL_PORT, TEMPORAL_UI_PORT, DATABASE_URL,
 * TEMPORAL_NAMESPACE, TASK_QUEUE, AUTH_JWT_SECRET, PAYMENT_WEBHOOK_SECRET, DATA_DIR) plus its own.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { mintToken } from '../../api/auth';
import { loadConfigOrExit, onShutdownSignal } from '../../lib/entry';
import { DEMO_ADMIN_ID, DEMO_CUSTOMER_ID } from '../dev';
import { ClusterStartError, startCluster, type Cluster, type ClusterOptions } from './cluster';
import { ToolMissing } from './tools';

const port = z.coerce.number().int().min(1).max(65535);
const count = z.coerce.number().int().min(1).max(16);

/** Variables only the cluster reads; the rest are lib/config.ts's, parsed as for `make start`. */
const clusterSchema = z.object({
  MAILPIT_PORT: port.default(8025),
  MAILPIT_SMTP_PORT: port.default(1025),
  PROMETHEUS_PORT: port.default(9090),
  API_REPLICAS: count.default(2),
  WORKER_REPLICAS: count.default(2),
  /** Temporal's databases: this name and <name>_visibility, on the same PostgreSQL server as Orderly's. */
  TEMPORAL_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'expected a lowercase database name')
    .default('temporal'),
});

/** The cluster's options from the environment; exits naming every bad variable. */
export function clusterOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ClusterOptions {
  const config = loadConfigOrExit('make cluster', env);
  const parsed = clusterSchema.safeParse(env);
  if (!parsed.success) {
    console.error('make cluster: invalid configuration, not starting:');
    for (const i of parsed.error.issues) console.error(`  ${String(i.path[0])}: ${i.message}`);
    process.exit(1);
  }
  const own = parsed.data;
  return {
    port: config.port,
    temporalPort: config.temporal.port,
    uiPort: config.temporal.uiPort,
    mailpitPort: own.MAILPIT_PORT,
    smtpPort: own.MAILPIT_SMTP_PORT,
    prometheusPort: own.PROMETHEUS_PORT,
    apiReplicas: own.API_REPLICAS,
    workerReplicas: own.WORKER_REPLICAS,
    databaseUrl: config.databaseUrl,
    temporalDatabasePrefix: own.TEMPORAL_DATABASE,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    dataDir: path.resolve(config.dataDir, 'cluster'),
    // Without secrets from the operator, fresh ones per run (not make start's fixed development secret): the tokens
    // printed below are signed with them.
    jwtSecret: env.AUTH_JWT_SECRET ? config.auth.jwtSecret : randomBytes(32).toString('hex'),
    webhookSecret: env.PAYMENT_WEBHOOK_SECRET ? config.payment.webhookSecret : randomBytes(16).toString('hex'),
  };
}

async function printBanner(cluster: Cluster): Promise<void> {
  const { urls, options } = cluster;
  const lines: Record<string, string> = {
    API: `${urls.api}  (HAProxy, ${cluster.apis.length} replicas: ${cluster.apis.map((a) => a.url).join(' ')})`,
    'API docs': `${urls.api}/docs`,
    Ready: `${urls.api}/ready`,
    'Temporal Web UI': urls.ui,
    Temporal: `${urls.temporal} namespace ${options.namespace}, task queue ${options.taskQueue}`,
    Workers: `${cluster.workers.length} (pids ${cluster.workers.map((w) => w.pid).join(', ')})`,
    'Mail inbox': `${urls.mailpit}  (SMTP ${urls.smtp})`,
    Prometheus: `${urls.prometheus}  (targets ${urls.prometheus}/targets, alerts ${urls.prometheus}/alerts)`,
    Database: urls.database.replace(/:[^:@/]*@/, ':***@'),
    Logs: path.join(options.dataDir, 'logs'),
    'Admin token': await mintToken(options.jwtSecret, { sub: DEMO_ADMIN_ID, role: 'admin' }),
    'Customer token': await mintToken(options.jwtSecret, { sub: DEMO_CUSTOMER_ID, role: 'customer' }),
    'Try it': `curl ${urls.api}/products`,
  };
  const width = Math.max(...Object.keys(lines).map((k) => k.length));
  const body = Object.entries(lines).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  console.log(['', 'Orderly cluster is running. Ctrl-C stops everything.', '', ...body, ''].join('\n'));
}

async function main(): Promise<void> {
  const options = clusterOptionsFromEnv();
  const log = (m: string) => console.error(`[cluster] ${m}`);
  const abort = new AbortController();
  const stopSignal = new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve()));
  const removeSignals = onShutdownSignal((signal) => {
    log(`${signal}: stopping everything`);
    abort.abort();
  });
  const started = Date.now();
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({ ...options, log, signal: abort.signal });
    if (!abort.signal.aborted) {
      log(`up in ${Math.round((Date.now() - started) / 1000)} s`);
      const parts = [cluster.temporal, cluster.ui, cluster.mailpit, cluster.prometheus.proc, cluster.balancer.proc];
      for (const proc of [...parts, ...cluster.workers])
        proc.onUnexpectedExit = (p) => log(`${p.name} exited on its own (${JSON.stringify(p.lastExit)}); see its log`);
      for (const api of cluster.apis)
        api.proc.onUnexpectedExit = (p) => log(`${p.name} exited on its own (${JSON.stringify(p.lastExit)})`);
      await printBanner(cluster);
      await stopSignal;
    }
  } catch (err) {
    if (err instanceof ClusterStartError || err instanceof ToolMissing) {
      if (!abort.signal.aborted) {
        console.error(`make cluster: ${err.message}`);
        process.exitCode = 1;
      }
    } else {
      throw err;
    }
  } finally {
    if (cluster) {
      await cluster.stop();
      log('stopped');
    }
    removeSignals();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('make cluster failed:', err);
    process.exit(1);
  });
}
