/**
 * docker-compose.yml stays in step with the code (Docker itself does not run here): the services exist, our
 * containers set only variables lib/config.ts knows and everything production requires, dependencies name real
 * services with a condition, and every command points at a real script or file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../lib/config';

const root = path.resolve(__dirname, '..', '..');

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean> | string[];
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: string[];
  healthcheck?: { test: string[] | string };
}

const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

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
    .replace(/\$\{(\w+):\?[^}]*\}/g, (_, name: string) => `${name.toLowerCase()}-supplied-by-the-operator-0123456789`);
}

/** The files and npm scripts a command runs: `npm run x` -> script x; `node ... file.ts` -> that file. */
function expectRunnable(command: string[], where: string): void {
  const npmRun = command.indexOf('run');
  if (command[0] === 'npm' && npmRun > 0) {
    expect({ where, script: command[npmRun + 1], exists: command[npmRun + 1]! in pkg.scripts }).toMatchObject({
      exists: true,
    });
  }
  for (const arg of command.filter((a) => /\.(ts|js)$/.test(a))) {
    expect({ where, file: arg, exists: fs.existsSync(path.join(root, arg)) }).toMatchObject({ exists: true });
  }
  if (command[0] === 'node' && command.includes('--import')) {
    expect(command[command.indexOf('--import') + 1]).toBe('tsx');
  }
}

test('the stack has a database, Temporal with its own database and UI, a mail catcher, migrate, api and worker', () => {
  expect(Object.keys(services).sort()).toEqual([
    'api',
    'mailpit',
    'migrate',
    'postgres',
    'temporal',
    'temporal-db',
    'temporal-ui',
    'worker',
  ]);
  expect(services.postgres!.image).toMatch(/^postgres:15/);
  expect(services['temporal-db']!.image).toMatch(/^postgres:/);
  expect(services.temporal!.image).toMatch(/^temporalio\/(auto-setup|server):\d/);
  expect(envOf(services.temporal!).POSTGRES_SEEDS).toBe('temporal-db');
  expect(services['temporal-ui']!.image).toMatch(/^temporalio\/ui:\d/);
  expect(services.mailpit!.image).toMatch(/^axllent\/mailpit:/);
  for (const name of OURS) expect(services[name]!.build).toBe('.');
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
      temporal: { condition: 'service_healthy' },
    });
  }
  expect(services.migrate!.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
});

test('the worker starts before the API, so versioned checkouts never reach an older worker', () => {
  expect(services.api!.depends_on).toMatchObject({ worker: { condition: 'service_started' } });
  expect(Object.keys(services.worker!.depends_on ?? {})).not.toContain('api');
});

test('published ports: API 3000, Temporal 7233, its UI and the mail inbox, no clashes', () => {
  const published = Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => p.split(':')[0]));
  expect(published).toEqual(expect.arrayContaining(['3000', '7233', '8080', '8025']));
  expect(new Set(published).size).toBe(published.length);
  expect(envOf(services.api!).PORT).toBe('3000');
  expect(services.api!.ports).toContain('3000:3000');
});

test('commands in compose point at scripts and files that exist', () => {
  for (const name of OURS) {
    const command = services[name]!.command;
    expect(Array.isArray(command)).toBe(true);
    expectRunnable(command as string[], `compose ${name}`);
  }
  expect(services.api!.command).toContain('api/main.ts');
  expect(services.worker!.command).toContain('workers/main.ts');

  // The Dockerfile's own checks (stages, user, Node version, command) are in test/production/dockerfile.test.ts.
});
