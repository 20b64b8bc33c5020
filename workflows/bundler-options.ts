import type { BundleOptions } from '@temporalio/worker';

// Not part of the workflow bundle: how the worker (worker.ts) and the tests
// (test/support/workflow-bundle.ts) build it.

export const WORKFLOW_BUNDLER_OPTIONS = {
  /**
   * zod, libphonenumber-js (with its metadata) and luxon, loaded once for all workflows
   * instead of once per workflow the worker creates or replays: evaluated per workflow they
   * cost each cached workflow about 1.6 MiB of RSS and tens of milliseconds of CPU (README,
   * Performance). Only stateless libraries belong there: their exports are frozen and shared
   * by every workflow, so a module that kept per-workflow state would leak it between
   * workflows. Our own modules stay per workflow.
   */
  preloadModules: [require.resolve('./shared-libraries')],
} satisfies Pick<BundleOptions, 'preloadModules'>;
