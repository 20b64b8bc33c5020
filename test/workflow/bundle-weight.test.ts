import { readFileSync } from 'node:fs';
import { testWorkflowBundle } from '../support/workflow-bundle';

// Every workflow in the worker's cache evaluates the bundle's modules afresh (the SDK gives each
// its own module state), when it starts and whenever it is replayed after an eviction: a heavy
// module costs CPU on every create and memory per open appointment. Request validation (zod,
// libphonenumber's metadata) belongs to the API, never to the workflows.
test('the workflow bundle carries no request validation libraries', () => {
  const code = readFileSync(testWorkflowBundle().codePath, 'utf8');
  const modules = [...code.matchAll(/"\.\/node_modules\/([^/"]+(?:\/[^/"]+)?)\//g)].map((m) => m[1]);
  const packages = new Set(modules.map((m) => (m.startsWith('@') ? m : m.split('/')[0])));
  expect([...packages].filter((p) => ['zod', 'libphonenumber-js'].includes(p))).toEqual([]);
});
