import { DateTime } from 'luxon';
import * as appointmentLifecycle from '../domain/appointment-lifecycle';
import * as customMessageStatus from '../domain/custom-message-status';
import * as handOver from '../domain/hand-over';
import * as reminderPlan from '../domain/reminder-plan';
import * as sendRetries from '../domain/send-retries';
import * as workflowSummaries from '../domain/workflow-summaries';

// Loaded once into the worker's shared V8 context and shared by every workflow
// (workflows/bundler-options.ts), through the same entry point as the workflow code, so that
// each is one module in the bundle:
// - the third-party library the workflow code imports (luxon, for planning in time zones).
//   Naming what the code uses keeps webpack from dropping it (it declares itself free of side
//   effects). Request validation (zod, libphonenumber-js) stays out of the workflows
//   altogether (test/workflow/bundle-weight.test.ts).
// - the domain modules the workflows import (and theirs, with them): pure decisions and
//   constant tables, holding nothing of any one workflow (the only module state is
//   domain/date-format.ts's remembered answers of pure functions, which every workflow may
//   share). test/workflow/bundle-weight.test.ts keeps this list whole.

export const SHARED_LIBRARIES = [
  DateTime,
  appointmentLifecycle,
  customMessageStatus,
  handOver,
  reminderPlan,
  sendRetries,
  workflowSummaries,
];
