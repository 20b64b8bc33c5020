import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowMetricsSinks } from '../../activities/workflow-metrics';
import { ProductMetrics } from '../../lib/metrics';
import { parsePrometheusText } from '../support/prometheus-text';
import { installTestTemporalRuntime } from '../support/temporal-runtime';
import { testWorkflowBundle } from '../support/workflow-bundle';

// Histories recorded from real runs
// (RECORD_HISTORIES=1 npm test -- test/integration/appointment.workflow.test.ts) are
// replayed against today's workflow code: a change that would break running appointments
// fails here with a nondeterminism error instead of in production. Histories recorded before
// a patched() change are kept (prefixed with the change's name) to prove the patch works.

const dir = path.join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

beforeAll(() => installTestTemporalRuntime());

test('recorded histories exist', () => {
  expect(files.length).toBeGreaterThanOrEqual(10);
});

test.each(files)('replays %s', async (file) => {
  // runReplayHistory checks that it is a history.
  const history: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  // With the sinks as production registers them: a replay counts none of the decisions again.
  const metrics = new ProductMetrics();
  await Worker.runReplayHistory(
    { workflowBundle: testWorkflowBundle(), sinks: workflowMetricsSinks(metrics) },
    history,
  );
  const counted = parsePrometheusText((await metrics.exposition()).body).samples.filter(
    (s) => s.name.startsWith('reminders_') && s.value > 0,
  );
  expect(counted).toEqual([]);
});
