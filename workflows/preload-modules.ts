/**
 * Third-party modules the worker loads once into its shared V8 context for all workflows
 * (the bundler's `preloadModules`), instead of once per workflow in its cache. Evaluated per
 * workflow, zod, libphonenumber-js's metadata and luxon cost each cached workflow about
 * 1.7 MiB of RSS and ~40 ms of CPU whenever one is created or replayed (README, Performance).
 * Only stateless libraries belong here: their exports are frozen and shared, so one that kept
 * per-workflow state in module scope would leak it between workflows. Our own modules stay
 * per workflow.
 */
export const WORKFLOW_PRELOAD_MODULES: readonly string[] = ['zod', 'libphonenumber-js/max', 'luxon'];
