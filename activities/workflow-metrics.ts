import type { InjectedSinks } from '@temporalio/worker';
import type { JournalEntry } from '../domain/appointment-journal';
import type { ProductMetrics } from '../lib/metrics';
import type { MetricsSinks } from './contracts';

/**
 * The worker's end of the appointment workflow's metrics sink: each decision the workflow
 * records (its journal) counted once. Not called during replay, so a workflow rebuilt from
 * its history (a worker restart, an evicted cache) counts nothing again. The one window the
 * SDK leaves: a workflow task that fails or times out after its decisions were made (its
 * worker died before Temporal took the answer) runs again on another worker, which counts
 * them a second time.
 */
export function workflowMetricsSinks(metrics: ProductMetrics): InjectedSinks<MetricsSinks> {
  return {
    metrics: {
      decided: { fn: (_info, entry) => countDecision(metrics, entry), callDuringReplay: false },
    },
  };
}

function countDecision(metrics: ProductMetrics, entry: JournalEntry): void {
  switch (entry.event) {
    case 'reminder_planned':
    case 'manual_reminder_requested':
      metrics.reminderPlanned({
        channel: entry.channel,
        recipient: entry.recipient,
        trigger: entry.event === 'reminder_planned' ? 'schedule' : 'staff',
      });
      return;
    case 'reminder_skipped':
      metrics.reminderSkipped({
        channel: entry.channel,
        recipient: entry.recipient,
        reason: entry.reason ?? 'unknown',
      });
      return;
    case 'reminder_failed':
      // Only failures no message row shows get here (the gateway never answered in time);
      // refusals and undelivered reports are counted where the row records them. The journal
      // does not tell a fallback from the reminder it replaced: both count as `reminder`.
      metrics.messageFailed({ channel: entry.channel, purpose: 'reminder', reason: entry.reason });
      return;
    case 'confirmed':
      metrics.confirmed(entry.via);
      return;
  }
}
