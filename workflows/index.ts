// The worker bundles this file: every workflow type the task queue serves is exported here.
export { appointmentWorkflow } from './appointment';
export { customMessageWorkflow } from './custom-message';
