/**
 * Prometheus in `make cluster`: deploy/prometheus/prometheus.yml and alerts.yml (shared with docker-compose.yml)
 * copied into the cluster's data directory, with the targets of each scrape job in targets/<job>.json beside them,
 * which Prometheus rereads as replicas are added (file_sd). Each replica is scraped on its own loopback port.
 */
import fs from 'node:fs';
import path from 'node:path';
import { deployPath } from './config';
import { httpOk, ManagedProcess, waitFor } from './process';
import type { PrometheusTools } from './tools';

/** The scrape jobs of deploy/prometheus/prometheus.yml whose targets the cluster writes. */
export const SCRAPE_JOBS = ['orderly-api', 'orderly-worker', 'temporal-sdk', 'temporal-server'] as const;
export type ScrapeJob = (typeof SCRAPE_JOBS)[number];

export interface ScrapeTarget {
  /** host:port */
  address: string;
  /** The process it belongs to (api-1, worker-2, temporal), as a label on every series scraped from it. */
  replica: string;
}

/** Writes the file_sd file of one job, atomically (Prometheus may read it at any moment). */
export function writeTargets(dir: string, job: ScrapeJob, targets: ScrapeTarget[]): void {
  const file = path.join(dir, 'targets', `${job}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const groups = targets.map((t) => ({ targets: [t.address], labels: { replica: t.replica } }));
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(groups, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

/** Copies the shared configuration into `dir` (the targets go beside it); returns the config file's path. */
export function prepareConfig(dir: string): string {
  fs.mkdirSync(path.join(dir, 'targets'), { recursive: true });
  for (const file of ['prometheusConfig', 'prometheusRules'] as const)
    fs.copyFileSync(deployPath(file), path.join(dir, path.basename(deployPath(file))));
  for (const job of SCRAPE_JOBS)
    if (!fs.existsSync(path.join(dir, 'targets', `${job}.json`))) writeTargets(dir, job, []);
  return path.join(dir, path.basename(deployPath('prometheusConfig')));
}

export class Prometheus {
  readonly proc: ManagedProcess;
  readonly url: string;
  private readonly targets = new Map<ScrapeJob, Map<string, ScrapeTarget>>();

  constructor(
    readonly opts: { tools: PrometheusTools; port: number; dir: string; logFile: string; env?: NodeJS.ProcessEnv },
  ) {
    this.url = `http://127.0.0.1:${opts.port}`;
    const config = prepareConfig(opts.dir);
    this.proc = new ManagedProcess({
      name: 'prometheus',
      command: opts.tools.prometheus,
      args: [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(opts.dir, 'data')}`,
        '--storage.tsdb.retention.time=2d',
        `--web.listen-address=127.0.0.1:${opts.port}`,
        `--web.local-assets=${opts.tools.webAssets}`,
        // Lets `curl -X POST .../-/reload` pick up an edited alerts.yml without a restart.
        '--web.enable-lifecycle',
      ],
      env: opts.env,
      logFile: opts.logFile,
      ready: (proc) => waitFor('Prometheus is ready', () => httpOk(`${this.url}/-/ready`), { timeoutMs: 60_000, proc }),
    });
  }

  /** Adds (or replaces, by replica name) a target of `job`. */
  addTarget(job: ScrapeJob, target: ScrapeTarget): void {
    const byReplica = this.targets.get(job) ?? new Map<string, ScrapeTarget>();
    byReplica.set(target.replica, target);
    this.targets.set(job, byReplica);
    writeTargets(this.opts.dir, job, [...byReplica.values()]);
  }
}
