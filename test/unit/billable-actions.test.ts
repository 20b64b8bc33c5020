import { temporal } from '@temporalio/proto';
import { countBillableActions } from '../../bench/performance/billable-actions';

type Event = temporal.api.history.v1.IHistoryEvent;
const T = temporal.api.enums.v1.EventType;
const payload = (text: string) => ({
  metadata: { encoding: Buffer.from('json/plain').toString('base64') },
  data: Buffer.from(text).toString('base64'),
});

let nextId = 1;
/** Built as the server's answer decodes (numbers become Longs), from plain JSON-like fields. */
function event(eventType: temporal.api.enums.v1.EventType, attributes: Record<string, unknown> = {}): Event {
  return temporal.api.history.v1.HistoryEvent.fromObject({ eventId: nextId++, eventType, ...attributes });
}
const marker = (markerName: string, workflowTaskCompletedEventId: number): Event =>
  event(T.EVENT_TYPE_MARKER_RECORDED, { markerRecordedEventAttributes: { markerName, workflowTaskCompletedEventId } });
const started = (attempt: number): Event =>
  event(T.EVENT_TYPE_ACTIVITY_TASK_STARTED, { activityTaskStartedEventAttributes: { attempt } });
const upsert = (...names: string[]): Event =>
  event(T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
    upsertWorkflowSearchAttributesEventAttributes: {
      searchAttributes: { indexedFields: Object.fromEntries(names.map((name) => [name, payload('"x"')])) },
    },
  });

test('a lifecycle of two reminders and a reply: start, timers, activities with retries, a signal, an update, an upsert', () => {
  const history = [
    event(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
    event(T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    event(T.EVENT_TYPE_WORKFLOW_TASK_STARTED),
    event(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    event(T.EVENT_TYPE_TIMER_STARTED),
    event(T.EVENT_TYPE_TIMER_FIRED),
    event(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    started(3), // two retries before it succeeded
    event(T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
    event(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    started(1),
    event(T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
    event(T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
    event(T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
    event(T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED),
    upsert('AppointmentStatus'),
    event(T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
  ];
  const count = countBillableActions(history);
  expect(count.byKind).toEqual({
    workflow_started: 1,
    timer_started: 1,
    activity_attempt: 4,
    signal_received: 1,
    update_accepted: 1,
    search_attributes_upserted: 1,
  });
  expect(count.total).toBe(9);
});

test('markers: local activities bill once per workflow task, side effects each, patches never', () => {
  const history = [
    event(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
    marker('core_local_activity', 4),
    marker('core_local_activity', 4),
    marker('core_local_activity', 9),
    marker('core_patch', 9),
    marker('SideEffect', 9),
    marker('MutableSideEffect', 9),
  ];
  expect(countBillableActions(history).byKind).toEqual({
    workflow_started: 1,
    local_activities: 2,
    side_effect: 2,
  });
});

test('a child workflow start is two actions; a versioning-only upsert, a scheduled-but-unstarted activity', () => {
  const history = [
    event(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
    event(T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED),
    upsert('TemporalChangeVersion'),
    event(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    event(T.EVENT_TYPE_ACTIVITY_TASK_CANCELED),
    event(T.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW),
  ];
  // Continue-as-new bills as the next run's start, which that run's own history counts.
  expect(countBillableActions(history)).toEqual({
    total: 4,
    byKind: { workflow_started: 1, child_workflow_started: 2, activity_attempt: 1 },
  });
});
