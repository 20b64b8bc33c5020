import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundlePath } from '@temporalio/worker';
import { WORKFLOW_BUNDLER_OPTIONS } from '../../workflows/bundler-options';

// The workflow code is bundled once per test run (globalSetup) and every test Worker, replay
// included, loads that file: bundling takes seconds and printed a webpack report each time.

const ENV = 'TEST_WORKFLOW_BUNDLE';

/** The code of `workflows/`, bundled as the worker bundles it (worker.ts). */
export async function bundleWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    // As the worker bundles them, so that tests and benchmarks run the sandbox production runs.
    ...WORKFLOW_BUNDLER_OPTIONS,
    // The bundler reports webpack's output at INFO; only problems are worth showing.
    logger: new DefaultLogger('WARN'),
  });
  return code;
}

/** Bundles `workflows/` into `dir` and publishes the file's path to the test files. */
export async function buildWorkflowBundle(dir: string): Promise<string> {
  const code = await bundleWorkflows();
  const codePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(codePath, code);
  process.env[ENV] = codePath;
  return codePath;
}

/** The run's workflow bundle, for `Worker.create` / `Worker.runReplayHistory` (`workflowBundle`). */
export function testWorkflowBundle(): WorkflowBundlePath {
  const codePath = process.env[ENV];
  if (!codePath) throw new Error(`${ENV} is unset: run the tests through jest (globalSetup bundles the workflows).`);
  return { codePath };
}
