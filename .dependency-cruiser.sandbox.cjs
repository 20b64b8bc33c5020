// Second pass of the layer check: what Temporal bundles into the workflow sandbox.
// The worker bundles workflows/index.ts and everything it reaches at run time; nothing in
// that bundle may reach a Node built-in or @temporalio/client, /worker or /activity, however
// indirectly (e.g. domain/ → lib/logger.ts → @temporalio/worker). Type-only imports are
// erased before bundling, so unlike .dependency-cruiser.cjs this pass ignores them
// (workflows/appointment.ts imports the Activities type from activities/index.ts, which the
// bundle never loads).
const { builtinModules } = require('node:module');
const base = require('./.dependency-cruiser.cjs');

const coreModules = `^(node:)?(${builtinModules.map((m) => m.replace(/[/.]/g, '\\$&')).join('|')})$`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'workflow-bundle-sandbox-safe',
      severity: 'error',
      comment:
        "Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no " +
        '@temporalio/client|worker|activity. search-attribute-registration.ts is not bundled.',
      from: { path: '^workflows/index\\.ts$' },
      to: { path: [coreModules, '^node_modules/@temporalio/(client|worker|activity)/'], reachable: true },
    },
  ],
  options: { ...base.options, tsPreCompilationDeps: false },
};
