import type { BundleOptions } from '@temporalio/worker';

// Not part of the workflow bundle: how the worker (worker.ts) and the tests
// (test/support/workflow-bundle.ts) build it.

export const WORKFLOW_BUNDLER_OPTIONS = {
  /**
   * luxon and the domain modules, loaded once for all workflows instead of once per workflow
   * the worker creates or replays (the SDK gives each workflow its own module state): modules
   * evaluated per workflow cost each cached workflow memory and each new or replayed one CPU
   * (README, Performance). Only stateless modules belong there: their exports are frozen and
   * shared by every workflow, so a module that kept per-workflow state would leak it between
   * workflows. The workflows' own modules (workflows/) stay per workflow.
   */
  preloadModules: [require.resolve('./shared-libraries')],
} satisfies Pick<BundleOptions, 'preloadModules'>;
