/**
 * The cluster suite (`make test-cluster`): the production topology started for real (Temporal server on PostgreSQL,
 * HAProxy, replicas, Mailpit), so it needs the Go builds in .tools/ and is not part of `make test`.
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/cluster'],
  testPathIgnorePatterns: ['/node_modules/'],
  // Each file starts its own cluster; one at a time on a small machine.
  maxWorkers: 1,
  testTimeout: 180_000,
  globalSetup: undefined,
  globalTeardown: undefined,
};
