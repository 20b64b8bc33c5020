import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines for machines; one logger per process, children per component. */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}
