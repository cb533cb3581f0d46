/**
 * The configuration files `make cluster` shares with docker-compose.yml (deploy/), and the variables each program
 * gets natively. Compose sets the same variables for the same files; test/foundation/compose.test.ts checks both.
 */
import path from 'node:path';
import type { PostgresTarget } from './postgres';
import { root } from './tools';

/** Repository-relative paths of the shared files. */
export const DEPLOY_FILES = {
  temporalServer: 'deploy/temporal/server.yaml',
  temporalDynamicConfig: 'deploy/temporal/dynamicconfig.yaml',
  temporalSchema: 'deploy/temporal/setup-schema.sh',
  temporalNamespace: 'deploy/temporal/create-namespace.sh',
  temporalUi: 'deploy/temporal-ui/docker.yaml',
  haproxy: 'deploy/haproxy/haproxy.cfg',
  prometheusConfig: 'deploy/prometheus/prometheus.yml',
  prometheusRules: 'deploy/prometheus/alerts.yml',
} as const;

export const deployPath = (file: keyof typeof DEPLOY_FILES): string => path.join(root, DEPLOY_FILES[file]);

/** Where Temporal's databases are, as deploy/temporal/server.yaml and setup-schema.sh read it. */
function temporalDbEnv(pg: PostgresTarget): Record<string, string> {
  return {
    POSTGRES_SEEDS: pg.host,
    DB_PORT: String(pg.port),
    POSTGRES_USER: pg.user,
    POSTGRES_PWD: pg.password,
    DBNAME: pg.temporalDatabase,
    VISIBILITY_DBNAME: pg.visibilityDatabase,
  };
}

/** The schema job (deploy/temporal/setup-schema.sh): temporal-sql-tool's own SQL_* variables. */
export function temporalSchemaEnv(pg: PostgresTarget, sqlTool: string): Record<string, string> {
  return {
    SQL_HOST: pg.host,
    SQL_PORT: String(pg.port),
    SQL_USER: pg.user,
    SQL_PASSWORD: pg.password,
    DBNAME: pg.temporalDatabase,
    VISIBILITY_DBNAME: pg.visibilityDatabase,
    TEMPORAL_SQL_TOOL: sqlTool,
  };
}

/**
 * The Temporal server: one process with every service, on loopback; the frontend on `frontendPort`, its Prometheus
 * metrics on `metrics`.
 */
export function temporalServerEnv(
  pg: PostgresTarget,
  ports: { frontend: number; internal: number[]; metrics: number },
): Record<string, string> {
  const [http, frontendMembership, history, historyMembership, matching, matchingMembership, worker, workerMembership] =
    ports.internal.map(String);
  return {
    ...temporalDbEnv(pg),
    TEMPORAL_SERVER_CONFIG_FILE_PATH: deployPath('temporalServer'),
    DYNAMIC_CONFIG_FILE_PATH: deployPath('temporalDynamicConfig'),
    TEMPORAL_ALLOW_NO_AUTH: 'true',
    BIND_ON_IP: '127.0.0.1',
    LOG_LEVEL: 'warn',
    FRONTEND_GRPC_PORT: String(ports.frontend),
    FRONTEND_HTTP_PORT: http!,
    FRONTEND_MEMBERSHIP_PORT: frontendMembership!,
    HISTORY_GRPC_PORT: history!,
    HISTORY_MEMBERSHIP_PORT: historyMembership!,
    MATCHING_GRPC_PORT: matching!,
    MATCHING_MEMBERSHIP_PORT: matchingMembership!,
    WORKER_GRPC_PORT: worker!,
    WORKER_MEMBERSHIP_PORT: workerMembership!,
    PROMETHEUS_ENDPOINT: `127.0.0.1:${ports.metrics}`,
  };
}

/** How many internal ports temporalServerEnv needs. */
export const TEMPORAL_INTERNAL_PORTS = 8;

export function temporalNamespaceEnv(address: string, namespace: string, cli: string): Record<string, string> {
  return { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, TEMPORAL_CLI: cli };
}

/** The Web UI server (deploy/temporal-ui/docker.yaml). */
export function temporalUiEnv(
  address: string,
  port: number,
  namespace: string,
  codecEndpoint: string,
): Record<string, string> {
  return {
    // The API's codec server, which the browser calls (so an address the browser reaches: the load balancer).
    TEMPORAL_CODEC_ENDPOINT: codecEndpoint,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_UI_HOST: '127.0.0.1',
    TEMPORAL_UI_PORT: String(port),
    TEMPORAL_DEFAULT_NAMESPACE: namespace,
    TEMPORAL_UI_PUBLIC_URL: `http://localhost:${port}`,
  };
}

/** Mailpit reads its own MP_* variables; its store is a file, so mail survives a restart. */
export function mailpitEnv(uiPort: number, smtpPort: number, database: string): Record<string, string> {
  return {
    MP_UI_BIND_ADDR: `127.0.0.1:${uiPort}`,
    MP_SMTP_BIND_ADDR: `127.0.0.1:${smtpPort}`,
    MP_DATABASE: database,
    MP_DISABLE_VERSION_CHECK: 'true',
  };
}

/** HAProxy (deploy/haproxy/haproxy.cfg): natively the API replicas are added through the runtime socket. */
export function haproxyEnv(port: number, socket: string): Record<string, string> {
  return { LB_BIND: `127.0.0.1:${port}`, HAPROXY_SOCKET: socket };
}
