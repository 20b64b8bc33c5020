// Addresses in the Temporal Web UI (2.x routes), for links in views and banners. The workflow
// id is one path segment, so its slashes are encoded; without a run id the UI opens the newest run.

/** The page of one workflow: its summary, current details, history and timeline. */
export function temporalUiWorkflowUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The workflow list filtered by a visibility query, e.g. `AppointmentStatus = "cancelled"`. */
export function temporalUiListUrl(uiUrl: string, namespace: string, query: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}
