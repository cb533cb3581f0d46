/**
 * The short version of `make fuzz`: schemathesis (pinned, from PyPI into .tools/) against this app's /openapi.json
 * over loopback, as an admin and as a customer, seeded and bounded in examples and time. No server error, no
 * response outside its documented status, content type, headers or schema, and no schema-valid request refused.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { serveApi, type ApiServer } from '../../api/main';
import { seedCatalog } from '../../db/seed';
import { resolveSchemathesis, runSchemathesis } from '../../scripts/fuzz/schemathesis';
import { startHarness, type Harness } from '../support/harness';
import { testLogger } from '../support/logs';

jest.setTimeout(900_000);

let h: Harness;
let server: ApiServer;
let st: string[];
beforeAll(async () => {
  st = resolveSchemathesis();
  h = await startHarness();
  await seedCatalog(h.db.db);
  server = await serveApi(h.app, { host: '127.0.0.1', port: 0, log: testLogger() });
}, 900_000);
afterAll(async () => {
  await server?.close();
  await h?.close();
});

test.each(['admin', 'customer'] as const)('schemathesis as %s finds nothing', async (role) => {
  const figures = await runSchemathesis(st, {
    url: server.url,
    token: await h.token(role, randomUUID()),
    label: role,
    reportDir: path.join(process.env.ORDERLY_TEST_TMP ?? '/tmp', 'fuzz'),
    maxExamples: 3,
    seed: 14,
    maxTime: 120,
    // make fuzz adds the coverage and stateful phases; schemathesis 4.32.5's coverage phase can stop on an internal
    // Hypothesis error ("AST constructor recursion depth mismatch") on this Python, which is not a finding.
    phases: 'examples,fuzzing',
  });
  expect({ failures: figures.failures, serverErrors: figures.serverErrors }).toEqual({ failures: {}, serverErrors: 0 });
  expect({ exitCode: figures.exitCode, tail: figures.exitCode === 0 ? '' : figures.tail }).toEqual({
    exitCode: 0,
    tail: '',
  });
  expect(figures.requests).toBeGreaterThanOrEqual(200);
});
