// Two tiers, run together by `npm test` and alone with `npm run test:fast` (--selectProjects fast).
// fast: pure tests, the workflow on the time-skipping server with stubbed activities, replay of
// recorded histories, and the send activity against PostgreSQL with an in-memory gateway; no
// Temporal dev server. slow: everything with the real system (API, worker processes, the real
// twilio SDK), on a Temporal dev server.
const FAST = ['<rootDir>/test/unit/', '<rootDir>/test/workflow/', '<rootDir>/test/activities/'];

/** @type {import('jest').Config['projects'][number]} */
const common = {
  testEnvironment: '<rootDir>/test/support/quiet-environment.ts',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
  // One PostgreSQL (and, for the slow tier, one Temporal dev server) serve the whole run; each
  // test file gets its own database and task queue. The workflow code is bundled once, there.
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'fast',
      testMatch: FAST.map((dir) => `${dir}**/*.test.ts`),
      globalSetup: '<rootDir>/test/support/global-setup-fast.ts',
    },
    {
      ...common,
      displayName: 'slow',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...FAST],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
  testTimeout: 120_000,
  // 2-core machines: Temporal workers run workflows in-process; files run one at a time.
  maxWorkers: 1,
  verbose: true,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
