// The layer check behind `npm run lint` (`npx depcruise --config .dependency-cruiser.cjs .`).
// Layers, top to bottom; a layer may import the ones below it, never one above, and nothing
// may form a cycle:
//
//   devenv/                         offline dev tooling; may import anything in the product
//   worker.ts, cli/, api/           entry points, independent of one another
//   services/
//   workflows/, activities/         workflows may use activities' contracts; not the reverse
//   gateways/, db/ (+ generated/)   db = Prisma client, migration runner, shared queries
//   domain/                         pure; may import lib/ only
//   lib/, config/                   the bottom
//
// test/ and bench/ (the chaos run: dev tooling, not product) may import anything; nothing
// in the product imports them. Type-only imports count: an upward `import type` still couples
// a lower layer to the shape of a higher one (and a cycle through types is still a cycle).
const { builtinModules } = require('node:module');

const ENTRY_POINTS = '^(worker\\.ts$|cli/|api/)';
const coreModules = `^(node:)?(${builtinModules.map((m) => m.replace(/[/.]/g, '\\$&')).join('|')})$`;

/** One rule per layer: files in `from` must not import any of `above`. */
function layer(name, from, above, comment) {
  return { name, severity: 'error', comment, from: { path: from }, to: { path: above } };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles (type-only edges included) make load order and layering meaningless.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'product-not-to-devenv',
      severity: 'error',
      comment: 'devenv/ is offline dev tooling (embedded PostgreSQL, Temporal CLI builds): only tests may use it.',
      from: { pathNot: '^(devenv|test|bench)/' },
      to: { path: '^devenv/' },
    },
    {
      name: 'product-not-to-bench',
      severity: 'error',
      comment: 'bench/ is the chaos run (npm run chaos), dev tooling that drives the product from outside.',
      from: { pathNot: '^(bench|test)/' },
      to: { path: '^bench/' },
    },
    {
      name: 'entry-points-independent',
      severity: 'error',
      comment: 'worker.ts, cli/ and api/ are separate entry points: none imports another.',
      from: { path: '^(worker\\.ts$|cli/|api/)' },
      to: { path: ENTRY_POINTS, pathNot: '^$1' },
    },
    layer(
      'services-not-up',
      '^services/',
      ENTRY_POINTS,
      'services/ serve the API and the CLI; they must not depend on them (e.g. request schemas belong below).',
    ),
    layer(
      'workflows-not-up',
      '^workflows/',
      `${ENTRY_POINTS}|^services/`,
      'workflows/ must not import services/ or an entry point.',
    ),
    layer(
      'activities-not-up',
      '^activities/',
      `${ENTRY_POINTS}|^(services|workflows)/`,
      'activities/ must not import workflows/, services/ or an entry point (workflows use activities, not the reverse).',
    ),
    layer(
      'gateways-db-not-up',
      '^(gateways|db)/',
      `${ENTRY_POINTS}|^(services|workflows|activities)/`,
      'gateways/ and db/ sit below the orchestration layers.',
    ),
    layer(
      'domain-pure',
      '^domain/',
      `${ENTRY_POINTS}|^(services|workflows|activities|gateways|db|generated|config)/`,
      'domain/ is pure decision logic (runs inside the workflow sandbox too): it may import lib/ only.',
    ),
    layer(
      'lib-config-bottom',
      '^(lib|config)/',
      `${ENTRY_POINTS}|^(services|workflows|activities|gateways|db|generated|domain)/`,
      'lib/ and config/ are the bottom layer: they import no project layer above them.',
    ),
    {
      name: 'generated-only-via-db',
      severity: 'error',
      comment: 'The generated Prisma client is reached through db/ (client factory, types).',
      from: { pathNot: '^(db|generated|test|devenv)/' },
      to: { path: '^generated/' },
    },
    {
      name: 'workflows-use-activity-contracts',
      severity: 'error',
      comment:
        'A workflow may import activities/contracts.ts, and other activity modules for types only: ' +
        'a value import would bundle Prisma and the gateways into the workflow sandbox.',
      from: { path: '^workflows/' },
      to: { path: '^activities/', pathNot: '^activities/contracts\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflow-sandbox-no-node-builtins',
      severity: 'error',
      comment:
        "Workflow code runs in Temporal's deterministic sandbox, which has no Node built-ins. " +
        'search-attribute-registration.ts is not bundled (the worker and the dev launcher call it).',
      from: { path: '^workflows/', pathNot: '^workflows/search-attribute-registration\\.ts$' },
      to: { path: coreModules, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflow-sandbox-no-temporal-runtime',
      severity: 'error',
      comment:
        'Inside the sandbox only @temporalio/workflow and @temporalio/common work; ' +
        '@temporalio/client, /worker and /activity are for the worker and the API.',
      from: { path: '^workflows/', pathNot: '^workflows/search-attribute-registration\\.ts$' },
      to: { path: '^node_modules/@temporalio/(client|worker|activity)/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    // Cruise the project's own code; npm packages and the generated Prisma client are leaves.
    exclude: { path: '^(dist|coverage|\\.tools|\\.data)/' },
    doNotFollow: { path: ['node_modules', '^generated/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.cjs', '.mjs', '.json', '.d.ts'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
