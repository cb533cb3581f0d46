/** Jest runs TypeScript through swc (fast, no type check: `tsc --noEmit` does that in `make test`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The cluster suite starts the whole production topology: `make test-cluster` runs it (jest.cluster.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // hono and a few others ship ESM; let swc turn them into CommonJS for jest's module system.
  transformIgnorePatterns: ['/node_modules/(?!(hono|@hono)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  // jest's own per-file lines and summary, then one plain `N passed, N failed` line for CI.
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  maxWorkers: 2,
};
