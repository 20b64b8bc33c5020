import { temporal } from '@temporalio/proto';

// Temporal Cloud bills "actions" (https://docs.temporal.io/cloud/actions); most of them leave
// an event in the workflow's history, and this counts those the way the billing page lists
// them. Queries and activity heartbeats are billed too but leave no event: the caller adds
// what it knows of them. Signals are counted where they are received, so a signal one
// workflow sends another is not counted twice when both histories are summed.

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export interface BillableActions {
  total: number;
  byKind: Record<string, number>;
}

/** The SDK core's marker names: local activity results, and patch (version) markers, which are not billed. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
const SIDE_EFFECT_MARKERS = new Set(['SideEffect', 'MutableSideEffect']);
/** Versioning's own search attribute: an upsert of it alone is not billed. */
const CHANGE_VERSION_ATTRIBUTE = 'TemporalChangeVersion';

/** Event types billed one action each, by the name the breakdown uses. */
const ONE_ACTION: ReadonlyMap<temporal.api.enums.v1.EventType, string> = new Map([
  // Continue-as-new is billed as the next run's start, counted in that run's history.
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 'workflow_started'],
  [EventType.EVENT_TYPE_TIMER_STARTED, 'timer_started'],
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 'signal_received'],
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, 'update_accepted'],
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED, 'workflow_options_updated'],
  [EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED, 'nexus_operation'],
  [EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED, 'nexus_operation'],
]);

/** The actions one run's history records (sum the runs of a continue-as-new chain). */
export function countBillableActions(events: readonly HistoryEvent[]): BillableActions {
  const byKind: Record<string, number> = {};
  const add = (kind: string, n: number): void => {
    if (n > 0) byKind[kind] = (byKind[kind] ?? 0) + n;
  };
  // All local-activity markers of one workflow task are one action.
  const localActivityTasks = new Set<string>();
  for (const event of events) {
    const type = event.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED;
    const kind = ONE_ACTION.get(type);
    if (kind !== undefined) add(kind, 1);
    else if (type === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) add('activity_attempt', 1);
    else if (type === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      // The started event is written once, with the attempt that ran last: earlier ones were retries.
      add('activity_attempt', (event.activityTaskStartedEventAttributes?.attempt ?? 1) - 1);
    } else if (type === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) {
      // The intent to start, and the child's execution.
      add('child_workflow_started', 2);
    } else if (type === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) {
      const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
      if (Object.keys(fields).some((name) => name !== CHANGE_VERSION_ATTRIBUTE)) add('search_attributes_upserted', 1);
    } else if (type === EventType.EVENT_TYPE_MARKER_RECORDED) {
      const attributes = event.markerRecordedEventAttributes;
      const name = attributes?.markerName ?? '';
      if (name === LOCAL_ACTIVITY_MARKER) {
        localActivityTasks.add(String(attributes?.workflowTaskCompletedEventId ?? event.eventId));
      } else if (SIDE_EFFECT_MARKERS.has(name)) add('side_effect', 1);
    }
  }
  add('local_activities', localActivityTasks.size);
  return { total: Object.values(byKind).reduce((sum, n) => sum + n, 0), byKind };
}
