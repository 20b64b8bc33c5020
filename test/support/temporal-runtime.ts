import { inspect } from 'node:util';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';

// The Temporal SDK's logs (worker, activities, and the Rust core's, forwarded) during tests.
// They are kept per test and printed only with a failing test (see quiet-environment.ts):
// a passing run shows jest's results alone, a failure shows what the worker saw.

/**
 * Temporal's Java time-skipping test server does not advertise the
 * `activity_failure_include_heartbeat` capability, so the core warns on every worker start.
 * No activity here heartbeats, so no detail can be lost: drop that one warning.
 */
const UNADVERTISED_CAPABILITY = 'Temporal Server 1.16.0 or newer is required';

export const TEMPORAL_LOGS = '__temporalLogs__';

let installed = false;

/**
 * Installs the Runtime of this test file. Call it right before the first native connection,
 * worker or test environment, and only then: the SDK shuts the Runtime down when its last one
 * closes, but a Runtime that never had one stays up, and its log forwarding keeps jest from exiting.
 */
export function installTestTemporalRuntime(): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger(process.env.TEST_TEMPORAL_LOG_LEVEL === 'DEBUG' ? 'DEBUG' : 'WARN', keep),
    telemetryOptions: { logging: { forward: {}, filter: { core: 'WARN', other: 'WARN' } } },
  });
}

function keep(entry: LogEntry): void {
  if (entry.message.startsWith(UNADVERTISED_CAPABILITY)) return;
  const line = `${entry.level} ${entry.message}${entry.meta ? ` ${inspect(entry.meta, { depth: 4 })}` : ''}`;
  const logs = (globalThis as Record<string, unknown>)[TEMPORAL_LOGS];
  if (Array.isArray(logs)) logs.push(line);
  else process.stderr.write(`${line}\n`);
}
