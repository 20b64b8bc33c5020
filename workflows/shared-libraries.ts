import { DateTime } from 'luxon';

// Loaded once into the worker's shared V8 context and shared by every workflow
// (workflows/bundler-options.ts): the third-party library the workflow code imports (luxon, for
// planning in time zones), through the same entry point as that code, so that it is one module
// in the bundle. Naming what the code uses keeps webpack from dropping it (it declares itself
// free of side effects). Request validation (zod, libphonenumber-js) stays out of the workflows
// altogether (test/workflow/bundle-weight.test.ts).

export const SHARED_LIBRARIES = [DateTime];
