import type { BundleOptions } from '@temporalio/worker';

// Not part of the workflow bundle: how the worker (worker.ts) and the tests
// (test/support/workflow-bundle.ts) build it.

export const WORKFLOW_BUNDLER_OPTIONS = {
  /**
   * luxon, loaded once for all workflows instead of once per workflow the worker creates or
   * replays (the SDK gives each workflow its own module state): third-party libraries
   * evaluated per workflow cost each cached workflow memory and each new one CPU (README,
   * Performance). Only stateless libraries belong there: their exports are frozen and shared
   * by every workflow, so a module that kept per-workflow state would leak it between
   * workflows. Our own modules stay per workflow.
   */
  preloadModules: [require.resolve('./shared-libraries')],
} satisfies Pick<BundleOptions, 'preloadModules'>;
