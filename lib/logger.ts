import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines for machines; one logger per process, children per component. */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}

/** The SDK's components whose lines tell an appointment's story (with its workflow id). */
const STORY_COMPONENTS = new Set(['workflow', 'activity']);

/**
 * The Temporal SDK logs through its own Runtime; this sends its lines to our logger. Workflow
 * and activity lines are the appointments' story and follow LOG_LEVEL. The SDK's own
 * components (worker, core) print the whole webpack report of the workflow bundle at INFO,
 * so they speak at WARN unless LOG_LEVEL asks for debug.
 */
export function installTemporalLogger(
  log: Logger,
  options: {
    handleSignals: boolean;
    /** Where the SDK's own Prometheus exporter listens (lib/metrics.ts); none without it. */
    metricsBindAddress?: string;
  },
): void {
  const detailed = log.isLevelEnabled('debug');
  const forward = (entry: LogEntry): void => {
    const level = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
    // Every SDK line passes here: drop what nobody will see before building anything.
    if (!log.isLevelEnabled(level)) return;
    const component: unknown = entry.meta?.sdkComponent;
    const isStory = typeof component === 'string' && STORY_COMPONENTS.has(component);
    if (!isStory && !detailed && (level === 'trace' || level === 'debug' || level === 'info')) return;
    log[level](entry.meta ?? {}, entry.message);
  };
  Runtime.install({
    logger: new DefaultLogger('TRACE', forward),
    // A process that orders its own shutdown (the dev launcher) must be the only one reacting to Ctrl-C.
    ...(options.handleSignals ? {} : { shutdownSignals: [] }),
    ...(options.metricsBindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsBindAddress } } } }
      : {}),
  });
}
