/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // One PostgreSQL and one Temporal dev server serve the whole run; each test file gets its
  // own database and task queue.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 120_000,
  // 2-core machines: Temporal workers bundle and run workflows in-process; files run one at a time.
  maxWorkers: 1,
  verbose: true,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
