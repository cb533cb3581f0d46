/**
 * The Prometheus configuration in deploy/prometheus, checked by promtool from the Prometheus make cluster runs
 * (Debian's package, unpacked into .tools/ on first use: a few seconds): the config with targets as make cluster
 * writes them, the alert rules, and the rules' unit tests (alerts.test.yml: each alert fires when it should).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deployPath } from '../../scripts/cluster/config';
import { prepareConfig, SCRAPE_JOBS, writeTargets } from '../../scripts/cluster/prometheus';
import { prometheusTools, type PrometheusTools } from '../../scripts/cluster/tools';

let tools: PrometheusTools;
let dir: string;

beforeAll(() => {
  tools = prometheusTools(() => {});
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-promtool-'));
}, 300_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync(tools.promtool, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('promtool check config: the shared config with the targets make cluster writes', () => {
  const config = prepareConfig(dir);
  for (const job of SCRAPE_JOBS) writeTargets(dir, job, [{ address: '127.0.0.1:9999', replica: `${job}-1` }]);
  const r = promtool('check', 'config', config);
  expect(r).toMatchObject({ status: 0 });
  // Every job's file_sd pattern found the file make cluster wrote for it.
  expect(r.output).not.toMatch(/WARNING/);
});

test('promtool check rules: the alert rules are valid', () => {
  const r = promtool('check', 'rules', deployPath('prometheusRules'));
  expect(r).toMatchObject({ status: 0 });
  expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
});

test('promtool test rules: every alert fires on the series that should fire it, not on healthy ones', () => {
  const r = promtool('test', 'rules', path.join(path.dirname(deployPath('prometheusRules')), 'alerts.test.yml'));
  expect({ status: r.status, output: r.output }).toMatchObject({ status: 0 });
  const tests = fs.readFileSync(path.join(path.dirname(deployPath('prometheusRules')), 'alerts.test.yml'), 'utf8');
  const rules = fs.readFileSync(deployPath('prometheusRules'), 'utf8');
  // Each alert has a unit test.
  for (const [, alert] of rules.matchAll(/- alert: (\w+)/g)) expect(tests).toContain(`alertname: ${alert}`);
});

test('promtool refuses a broken rule, so the checks above can fail', () => {
  const bad = path.join(dir, 'bad.yml');
  fs.writeFileSync(bad, 'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m])\n');
  expect(promtool('check', 'rules', bad).status).not.toBe(0);
});
