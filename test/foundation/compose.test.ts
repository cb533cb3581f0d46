/**
 * docker-compose.yml stays in step with the code (Docker itself does not run here): the services exist, our
 * containers set only variables lib/config.ts knows and everything production requires, dependencies name real
 * services with a condition, and every command runs an entry point of the production build. Compose is the same
 * topology as `make cluster`: the same versions, the same deploy/ files, the same variables for them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../lib/config';
import { ENTRY_POINTS } from '../../scripts/build';
import {
  DEPLOY_FILES,
  haproxyEnv,
  mailpitEnv,
  temporalNamespaceEnv,
  temporalSchemaEnv,
  temporalServerEnv,
  temporalUiEnv,
} from '../../scripts/cluster/config';
import type { PostgresTarget } from '../../scripts/cluster/postgres';
import { SCRAPE_JOBS, type ScrapeJob } from '../../scripts/cluster/prometheus';
import { VERSIONS } from '../../scripts/cluster/tools';

const root = path.resolve(__dirname, '..', '..');

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean> | string[];
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: string[];
  healthcheck?: { test: string[] | string };
  volumes?: string[];
  deploy?: { replicas?: string | number };
}

const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;

const OURS = ['migrate', 'api', 'worker'];

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env))
    return Object.fromEntries(env.map((kv) => kv.split(/=(.*)/s).slice(0, 2) as [string, string]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** `${NAME:-default}` becomes the default, `${NAME:?message}` a stand-in value, as an operator would supply. */
function interpolate(value: string): string {
  return value
    .replace(/\$\{(\w+):-([^}]*)\}/g, (_, _name: string, fallback: string) => fallback)
    .replace(/\$\{(\w+):\?[^}]*\}/g, (_, name: string) =>
      // PAYLOAD_KEYS has a format: id:base64 of 32 bytes.
      name === 'PAYLOAD_KEYS'
        ? `operator:${'A'.repeat(43)}=`
        : `${name.toLowerCase()}-supplied-by-the-operator-0123456789`,
    );
}

/** A command of ours runs plain node on an entry point `make build` produces (the image has no tsx). */
function expectEntryPoint(command: unknown, entry: string, where: string): void {
  expect({ where, command }).toEqual({ where, command: ['node', `dist/${entry}`] });
}

test('the stack: PostgreSQL, Temporal with schema and namespace jobs and its UI, Mailpit, HAProxy, replicas', () => {
  expect(Object.keys(services).sort()).toEqual([
    'api',
    'grafana',
    'haproxy',
    'jaeger',
    'mailpit',
    'migrate',
    'otel-collector',
    'postgres',
    'prometheus',
    'temporal',
    'temporal-namespace',
    'temporal-schema',
    'temporal-ui',
    'worker',
  ]);
  for (const name of OURS) expect(services[name]!.build).toBe('.');
  // Replicas by default, as `make cluster` runs them; only HAProxy publishes the API.
  expect(services.api!.deploy?.replicas).toBe('${API_REPLICAS:-2}');
  expect(services.worker!.deploy?.replicas).toBe('${WORKER_REPLICAS:-2}');
  expect(services.api!.ports).toBeUndefined();
  expect(services.haproxy!.ports).toEqual(['3000:3000']);
});

test('compose runs the versions make cluster builds, with pinned tags', () => {
  expect(services.temporal!.image).toBe(`temporalio/server:${VERSIONS.temporalServer}`);
  expect(services['temporal-schema']!.image).toBe(`temporalio/admin-tools:${VERSIONS.temporalServer}`);
  expect(services['temporal-namespace']!.image).toBe(`temporalio/admin-tools:${VERSIONS.temporalServer}`);
  expect(services['temporal-ui']!.image).toBe(`temporalio/ui:${VERSIONS.temporalUi}`);
  expect(services.mailpit!.image).toBe(`axllent/mailpit:v${VERSIONS.mailpit}`);
  expect(services.haproxy!.image).toMatch(new RegExp(`^haproxy:${VERSIONS.haproxySeries.replace('.', '\\.')}\\.\\d+$`));
  expect(services.postgres!.image).toMatch(new RegExp(`^postgres:${VERSIONS.postgresMajor}\\.\\d+$`));
  expect(services.prometheus!.image).toBe(`prom/prometheus:v${VERSIONS.prometheus}`);
  expect(services.grafana!.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
  // auto-setup is deprecated upstream: the schema is a job of its own.
  expect(JSON.stringify(compose)).not.toContain('auto-setup');
});

test('compose mounts the deploy/ files make cluster uses, and nothing else from the tree', () => {
  const mounted = new Map<string, string>(); // host path (relative) -> container path
  for (const service of Object.values(services)) {
    for (const volume of service.volumes ?? []) {
      const [host, container] = volume.split(':');
      if (host!.startsWith('./')) mounted.set(host!.slice(2), container!);
    }
  }
  for (const host of mounted.keys())
    expect({ host, shared: host.startsWith('deploy/') }).toEqual({ host, shared: true });
  // Every shared file is in compose, mounted itself or with its folder.
  for (const file of Object.values(DEPLOY_FILES)) {
    expect(fs.existsSync(path.join(root, file))).toBe(true);
    const viaFolder = [...mounted.keys()].some((host) => file === host || file.startsWith(`${host}/`));
    expect({ file, mounted: viaFolder }).toEqual({ file, mounted: true });
  }
  // The paths the containers are told to read are the mounted files.
  const inContainer = (file: string) => {
    const host = [...mounted.keys()].find((h) => file === h || file.startsWith(`${h}/`))!;
    return mounted.get(host)! + file.slice(host.length);
  };
  const temporal = envOf(services.temporal!);
  expect(temporal.TEMPORAL_SERVER_CONFIG_FILE_PATH).toBe(inContainer(DEPLOY_FILES.temporalServer));
  expect(temporal.DYNAMIC_CONFIG_FILE_PATH).toBe(inContainer(DEPLOY_FILES.temporalDynamicConfig));
  expect(services['temporal-schema']!.command).toEqual(['sh', inContainer(DEPLOY_FILES.temporalSchema)]);
  expect(services['temporal-namespace']!.command).toEqual(['sh', inContainer(DEPLOY_FILES.temporalNamespace)]);
  expect(inContainer(DEPLOY_FILES.temporalUi)).toBe('/home/ui-server/config/docker.yaml');
  expect(inContainer(DEPLOY_FILES.haproxy)).toBe('/usr/local/etc/haproxy/haproxy.cfg');
});

/** The variables a shared file reads: `env "X"` (Go templates), "${X}" (HAProxy, sh). */
function variablesRead(file: string): Set<string> {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return new Set([...text.matchAll(/env "(\w+)"|\$\{(\w+)/g)].map((m) => (m[1] ?? m[2])!));
}

test('both paths set the same variables of each shared file', () => {
  const pg: PostgresTarget = {
    host: 'h',
    port: 5432,
    user: 'u',
    password: 'p',
    database: 'orderly',
    temporalDatabase: 'temporal',
    visibilityDatabase: 'temporal_visibility',
    local: true,
  };
  const pairs: [string, Record<string, string>, string, string[]][] = [
    [
      'temporal',
      temporalServerEnv(pg, { frontend: 7233, internal: [1, 2, 3, 4, 5, 6, 7, 8], metrics: 9 }),
      DEPLOY_FILES.temporalServer,
      [
        // Natively every service gets its own free port on loopback; in a container the defaults are free, and the
        // image's entrypoint sets BIND_ON_IP to the container's address.
        'BIND_ON_IP',
        'FRONTEND_GRPC_PORT',
        'FRONTEND_HTTP_PORT',
        'FRONTEND_MEMBERSHIP_PORT',
        'HISTORY_GRPC_PORT',
        'HISTORY_MEMBERSHIP_PORT',
        'MATCHING_GRPC_PORT',
        'MATCHING_MEMBERSHIP_PORT',
        'WORKER_GRPC_PORT',
        'WORKER_MEMBERSHIP_PORT',
      ],
    ],
    ['temporal-schema', temporalSchemaEnv(pg, 'tool'), DEPLOY_FILES.temporalSchema, ['TEMPORAL_SQL_TOOL']],
    [
      'temporal-namespace',
      temporalNamespaceEnv('a:1', 'default', 'cli'),
      DEPLOY_FILES.temporalNamespace,
      ['TEMPORAL_CLI'],
    ],
    // Natively the UI listens on loopback only.
    [
      'temporal-ui',
      temporalUiEnv('a:1', 8080, 'default', 'http://localhost:3000/codec'),
      DEPLOY_FILES.temporalUi,
      ['TEMPORAL_UI_HOST'],
    ],
    // Natively the API replicas are added through the runtime socket, not found by DNS.
    ['haproxy', haproxyEnv(3000, '/s'), DEPLOY_FILES.haproxy, []],
  ];
  for (const [service, native, file, nativeOnly] of pairs) {
    const reads = variablesRead(file);
    const composeSets = Object.keys(envOf(services[service]!)).filter((v) => reads.has(v) || v.endsWith('_PATH'));
    const nativeSets = Object.keys(native).filter(
      (v) => (reads.has(v) || v.endsWith('_PATH')) && !nativeOnly.includes(v),
    );
    expect({ service, variables: composeSets.filter((v) => !['API_SERVICE', 'API_SLOTS'].includes(v)).sort() }).toEqual(
      {
        service,
        variables: nativeSets.sort(),
      },
    );
  }
  // Mailpit has no file: both paths give it the same MP_* variables.
  expect(Object.keys(envOf(services.mailpit!)).sort()).toEqual(Object.keys(mailpitEnv(1, 2, '/d')).sort());
});

test('our containers set only variables lib/config.ts knows, and a valid production config', () => {
  for (const name of OURS) {
    const env = envOf(services[name]!);
    const unknown = Object.keys(env).filter((k) => !(CONFIG_VARIABLES as string[]).includes(k));
    expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
    expect(env.NODE_ENV).toBe('production');
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(v)]));
    const config = loadConfig(resolved);
    expect(config.databaseUrl).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.smtp.url).toBe('smtp://mailpit:1025');
    expect(config.host).toBe('0.0.0.0');
  }
  // The secrets come from the operator: compose refuses to start without them rather than using a default.
  const api = envOf(services.api!);
  expect(api.AUTH_JWT_SECRET).toMatch(/^\$\{AUTH_JWT_SECRET:\?/);
  expect(api.PAYMENT_WEBHOOK_SECRET).toMatch(/^\$\{PAYMENT_WEBHOOK_SECRET:\?/);
  expect(api.PAYLOAD_KEYS).toMatch(/^\$\{PAYLOAD_KEYS:\?/);
});

test('every depends_on names a real service with a condition, and migrations run before api and worker', () => {
  for (const [name, service] of Object.entries(services)) {
    const deps = service.depends_on ?? {};
    expect(Array.isArray(deps)).toBe(false);
    for (const [dep, { condition }] of Object.entries(deps as Record<string, { condition: string }>)) {
      expect({ service: name, dep, known: dep in services }).toMatchObject({ known: true });
      expect(['service_healthy', 'service_completed_successfully', 'service_started']).toContain(condition);
      if (condition === 'service_healthy')
        expect({ dep, healthcheck: !!services[dep]!.healthcheck }).toEqual({ dep, healthcheck: true });
    }
  }
  for (const name of ['api', 'worker']) {
    expect(services[name]!.depends_on).toMatchObject({
      migrate: { condition: 'service_completed_successfully' },
      'temporal-namespace': { condition: 'service_completed_successfully' },
    });
  }
  expect(services.temporal!.depends_on).toMatchObject({
    'temporal-schema': { condition: 'service_completed_successfully' },
  });
  expect(services.migrate!.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
});

test('the worker starts before the API, so versioned checkouts never reach an older worker', () => {
  expect(services.api!.depends_on).toMatchObject({ worker: { condition: 'service_started' } });
  expect(Object.keys(services.worker!.depends_on ?? {})).not.toContain('api');
});

test('published ports: the balancer on 3000, Temporal 7233, its UI and the mail inbox, no clashes', () => {
  const published = Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => p.split(':')[0]));
  expect(published).toEqual(expect.arrayContaining(['3000', '7233', '8080', '8025', '9090', '3001']));
  expect(new Set(published).size).toBe(published.length);
  // HAProxy forwards to the replicas' own port 3000.
  expect(envOf(services.api!).PORT).toBe('3000');
  expect(envOf(services.haproxy!).API_SERVICE).toBe('api:3000');
});

test('our services run the compiled entry points of the production build', () => {
  expectEntryPoint(services.migrate!.command, ENTRY_POINTS.migrate, 'compose migrate');
  expectEntryPoint(services.worker!.command, ENTRY_POINTS.worker, 'compose worker');
  expectEntryPoint(services.api!.command, ENTRY_POINTS.api, 'compose api');
  // The Dockerfile's own checks (stages, user, Node version, command) are in test/production/dockerfile.test.ts.
});

/** The scrape jobs of deploy/prometheus/prometheus.yml, by name, with the compose DNS name and port each one asks. */
function scrapeJobs(): Map<string, { dns: string[]; port: number; files: string[] }> {
  const config = parse(fs.readFileSync(path.join(root, DEPLOY_FILES.prometheusConfig), 'utf8')) as {
    rule_files: string[];
    scrape_configs: {
      job_name: string;
      dns_sd_configs?: { names: string[]; port: number }[];
      file_sd_configs?: { files: string[] }[];
    }[];
  };
  expect(config.rule_files).toEqual([path.basename(DEPLOY_FILES.prometheusRules)]);
  return new Map(
    config.scrape_configs.map((j) => [
      j.job_name,
      {
        dns: j.dns_sd_configs?.[0]?.names ?? [],
        port: j.dns_sd_configs?.[0]?.port ?? 0,
        files: j.file_sd_configs?.[0]?.files ?? [],
      },
    ]),
  );
}

test('compose Prometheus reads the shared config and scrapes every replica on the port it serves metrics on', () => {
  const prometheus = services.prometheus!;
  expect(prometheus.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
  expect(prometheus.command).toContain(`--config.file=/etc/prometheus/${path.basename(DEPLOY_FILES.prometheusConfig)}`);
  const jobs = scrapeJobs();
  expect([...jobs.keys()].sort()).toEqual([...SCRAPE_JOBS].sort());
  const worker = envOf(services.worker!);
  const temporalEndpoint = envOf(services.temporal!).PROMETHEUS_ENDPOINT!;
  const expected: Record<ScrapeJob, { dns: string[]; port: number }> = {
    'orderly-api': { dns: ['api'], port: Number(envOf(services.api!).PORT) },
    'orderly-worker': { dns: ['worker'], port: Number(worker.WORKER_METRICS_PORT) },
    'temporal-sdk': { dns: ['worker'], port: Number(worker.WORKER_SDK_METRICS_PORT) },
    'temporal-server': { dns: ['temporal'], port: Number(temporalEndpoint.split(':').at(-1)) },
  };
  for (const job of SCRAPE_JOBS) {
    expect({ job, ...jobs.get(job)! }).toEqual({ job, ...expected[job], files: [`targets/${job}*.json`] });
    // Natively make cluster writes targets/<job>.json, which the same pattern reads.
    expect(`targets/${job}.json`).toMatch(
      new RegExp(`^${jobs.get(job)!.files[0]!.replace('*', '.*').replace('.json', '\\.json')}$`),
    );
  }
  // Each service named in a DNS lookup is a real compose service, and the worker's ports are ones it serves.
  for (const { dns } of jobs.values()) for (const name of dns) expect(Object.keys(services)).toContain(name);
  const resolved = Object.fromEntries(Object.entries(worker).map(([k, v]) => [k, interpolate(v)]));
  expect(loadConfig(resolved).metrics).toMatchObject({ workerPort: 9464, sdkPort: 9465 });
});

test('compose Grafana provisions the Prometheus data source and the dashboard folder it mounts', () => {
  const grafana = services.grafana!;
  expect(grafana.volumes).toEqual(
    expect.arrayContaining([
      './deploy/grafana/provisioning:/etc/grafana/provisioning:ro',
      './deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro',
    ]),
  );
  const datasources = parse(
    fs.readFileSync(path.join(root, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
  ) as { datasources: { uid: string; type: string; url: string }[] };
  expect(datasources.datasources).toEqual([
    expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' }),
  ]);
  const providers = parse(
    fs.readFileSync(path.join(root, 'deploy/grafana/provisioning/dashboards/orderly.yml'), 'utf8'),
  ) as { providers: { options: { path: string } }[] };
  expect(providers.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards');
  // Every panel's data source is the provisioned one.
  const dashboard = fs.readFileSync(path.join(root, 'deploy/grafana/dashboards/orderly.json'), 'utf8');
  const uids = new Set([...dashboard.matchAll(/"uid":\s*"([^"]+)"/g)].map((m) => m[1]));
  uids.delete(JSON.parse(dashboard).uid);
  expect([...uids]).toEqual(['prometheus']);
});

test('traces: the api and workers send OTLP to the collector, which forwards to Jaeger, on pinned images', () => {
  const collector = services['otel-collector']!;
  const jaeger = services.jaeger!;
  expect(collector.image).toMatch(/^otel\/opentelemetry-collector:\d+\.\d+\.\d+$/);
  expect(jaeger.image).toMatch(/^jaegertracing\/all-in-one:\d+\.\d+\.\d+$/);
  expect(envOf(jaeger).COLLECTOR_OTLP_ENABLED).toBe('true');

  // The collector reads the mounted deploy/ file it is told to read.
  const mount = collector.volumes!.find((v) => v.startsWith('./deploy/otel-collector/'))!;
  const [host, container] = mount.split(':');
  expect(collector.command).toEqual([`--config=${container}`]);
  const config = parse(fs.readFileSync(path.join(root, host!), 'utf8')) as {
    receivers: { otlp: { protocols: { http: { endpoint: string } } } };
    processors: Record<string, unknown>;
    exporters: Record<string, { endpoint: string }>;
    service: { pipelines: { traces: { receivers: string[]; processors: string[]; exporters: string[] } } };
  };
  const traces = config.service.pipelines.traces;
  for (const name of traces.receivers) expect(Object.keys(config.receivers)).toContain(name);
  for (const name of traces.processors) expect(Object.keys(config.processors)).toContain(name);
  for (const name of traces.exporters) expect(Object.keys(config.exporters)).toContain(name);
  // Forwarded to Jaeger's OTLP gRPC port, by its service name.
  expect(traces.exporters.map((e) => config.exporters[e]!.endpoint)).toEqual(['jaeger:4317']);
  expect(config.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');

  // Our processes trace to the collector's OTLP/HTTP port and start after it; the UI and OTLP/HTTP are published.
  for (const name of ['api', 'worker']) {
    const config = loadConfig(
      Object.fromEntries(Object.entries(envOf(services[name]!)).map(([k, v]) => [k, interpolate(v)])),
    );
    expect({ name, endpoint: config.tracing.otlpEndpoint }).toEqual({ name, endpoint: 'http://otel-collector:4318' });
    expect(config.tracing.sampleRatio).toBe(1);
    expect(services[name]!.depends_on).toMatchObject({ 'otel-collector': { condition: 'service_started' } });
  }
  expect(jaeger.ports).toEqual(['16686:16686']);
  expect(collector.ports).toEqual(['4318:4318']);
});
