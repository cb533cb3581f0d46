/**
 * `make test-tools`: provisions, once per version, the programs the jest suite starts besides the Temporal CLI:
 * stripe-mock (Go build into .tools/), Prometheus's promtool (Debian's package, unpacked into .tools/) and
 * schemathesis (PyPI, into .tools/). The tests find or install each themselves too; this names them, with the time each
 * took, so CI shows where its set-up time goes.
 */
import { prometheusTools, stripeMock } from './cluster/tools';
import { resolveSchemathesis } from './fuzz/schemathesis';

const log = (m: string) => console.error(`[test tools] ${m}`);
const timed = <T>(name: string, provide: () => T, show: (t: T) => string) => {
  const started = Date.now();
  const got = provide();
  console.log(`${name.padEnd(14)} ${show(got)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
};

try {
  timed(
    'stripe-mock',
    () => stripeMock(log),
    (t) => t.binary,
  );
  timed(
    'promtool',
    () => prometheusTools(log),
    (t) => t.promtool,
  );
  timed(
    'schemathesis',
    () => resolveSchemathesis(log),
    (t) => t.join(' '),
  );
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
