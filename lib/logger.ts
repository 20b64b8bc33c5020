import { DefaultLogger, Runtime } from '@temporalio/worker';
import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines for machines; one logger per process, children per component. */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}

/**
 * The Temporal SDK logs through its own Runtime. Its INFO level prints the whole webpack
 * report of the workflow bundle, so it only speaks at WARN unless LOG_LEVEL asks for detail.
 */
export function installTemporalLogger(level: string, options: { handleSignals: boolean }): void {
  const detailed = level === 'debug' || level === 'trace';
  Runtime.install({
    logger: new DefaultLogger(detailed ? 'DEBUG' : 'WARN'),
    // A process that orders its own shutdown (the dev launcher) must be the only one reacting to Ctrl-C.
    ...(options.handleSignals ? {} : { shutdownSignals: [] }),
  });
}
