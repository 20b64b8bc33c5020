import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
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

// The domain modules are shared the same way (workflows/shared-libraries.ts): they hold no
// state of a workflow's, and evaluating them for each new or replayed workflow cost the worker
// ~2 ms of a replay's ~24 (bench/performance/replay-cost.ts). One the workflows import at
// run time and the preload misses would quietly be evaluated per workflow again.
test('every domain module the workflows import at run time is preloaded for all workflows', () => {
  const workflows = path.resolve(__dirname, '..', '..', 'workflows');
  const shared = readFileSync(path.join(workflows, 'shared-libraries.ts'), 'utf8');
  const imported = new Set<string>();
  for (const file of readdirSync(workflows).filter((f) => f.endsWith('.ts') && f !== 'shared-libraries.ts')) {
    const code = readFileSync(path.join(workflows, file), 'utf8');
    for (const m of code.matchAll(/^import (?!type )[^;]*?from '(\.\.\/domain\/[^']+)';/gms)) imported.add(m[1]);
  }
  expect(imported.size).toBeGreaterThan(0);
  expect([...imported].filter((module) => !shared.includes(`from '${module}'`))).toEqual([]);
});
