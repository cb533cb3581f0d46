/** Reading Prometheus text and PromQL in tests: which series a /metrics page has, and which a query names. */

/** Sample names on a Prometheus text page (`name{labels} value` lines), e.g. `x_bucket`, `x_sum`, `x_count`. */
export function seriesNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/** The labelled samples of one series name, as `{label="value",...}` strings with their values. */
export function samples(text: string, name: string): { labels: string; value: number }[] {
  const out: { labels: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (m && m[1] === name) out.push({ labels: m[2] ?? '', value: Number(m[3]) });
  }
  return out;
}

/** The sum of a series' samples whose labels contain every `label="value"` given. */
export function total(text: string, name: string, ...labels: string[]): number {
  return samples(text, name)
    .filter((s) => labels.every((l) => s.labels.includes(l)))
    .reduce((sum, s) => sum + s.value, 0);
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects: label matchers, grouping clauses, strings, durations, numbers and
 * function names removed, what is left are selectors. Grafana's variables ($__rate_interval) count as durations.
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2] || PROMQL_WORDS.has(m[1]!.toLowerCase())) continue;
    if (/^\d/.test(m[1]!)) continue;
    names.add(m[1]!);
  }
  return [...names];
}
