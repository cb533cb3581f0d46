/** The PromQL and exposition readers the dashboard and alert checks rely on find what they should, and only that. */
import { promqlMetricNames, seriesNames, total } from './series';

test('promqlMetricNames finds selectors, not functions, labels, groupings or Grafana variables', () => {
  expect(
    promqlMetricNames(
      'histogram_quantile(0.99, sum by (le, route) (rate(orderly_http_request_duration_seconds_bucket{route="/a"}[$__rate_interval])))',
    ),
  ).toEqual(['orderly_http_request_duration_seconds_bucket']);
  expect(
    promqlMetricNames('sum(rate(a_total[10m])) / (sum(rate(a_total[10m])) + sum(rate(b_total[10m]))) > 0.25').sort(),
  ).toEqual(['a_total', 'b_total']);
  expect(promqlMetricNames('absent(temporal_num_pollers{poller_type="workflow_task"} > 0)')).toEqual([
    'temporal_num_pollers',
  ]);
  expect(promqlMetricNames('up == 0')).toEqual(['up']);
});

test('seriesNames and total read a Prometheus text page', () => {
  const page = [
    '# HELP x_total help',
    '# TYPE x_total counter',
    'x_total{reason="a"} 2',
    'x_total{reason="b"} 3',
    'y 1.5',
  ].join('\n');
  expect([...seriesNames(page)].sort()).toEqual(['x_total', 'y']);
  expect(total(page, 'x_total')).toBe(5);
  expect(total(page, 'x_total', 'reason="b"')).toBe(3);
  expect(total(page, 'y')).toBe(1.5);
});
