import type { Server, ServerResponse } from 'node:http';
import type { Logger } from './logger';

// How the API and the worker stop on SIGTERM (a rolling deploy, a scale-down). Kubernetes
// sends SIGKILL 30 s after SIGTERM (terminationGracePeriodSeconds) and compose after the
// service's stop_grace_period (30 s in our compose file; its default is 10 s): everything
// below ends well inside that, so the orchestrator never has to kill a process mid-write.

/** A stopping process exits by then whatever is still running, with code 1. */
export const SHUTDOWN_DEADLINE_MS = 25_000;
/** HTTP requests under way get this long to finish; the rest are cut, leaving time to close the connections behind them. */
export const HTTP_DRAIN_MS = 20_000;
/** In-flight activities get this long to finish before the worker cancels them (their attempt is then retried elsewhere). */
export const ACTIVITY_GRACE_MS = 20_000;
/** After this the worker stops waiting for cancelled activities; SHUTDOWN_DEADLINE_MS still bounds the rest. */
export const WORKER_FORCE_MS = 23_000;

/**
 * Runs `stop` once on the first SIGTERM or SIGINT, then exits 0; exits 1 if it fails or
 * outlasts SHUTDOWN_DEADLINE_MS. A second signal while stopping changes nothing.
 */
export function stopOnSignals(log: Logger, what: string, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, deadlineMs: SHUTDOWN_DEADLINE_MS }, `${what} stopping`);
    setTimeout(() => {
      log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, `${what} did not stop within the deadline; exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    stop().then(
      () => {
        log.info(`${what} stopped`);
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, `${what} failed to stop cleanly`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * Counts the requests under way from now on, and stops the server the way a rolling deploy
 * needs: no new connections, requests under way finish (idle keep-alive connections are
 * closed as soon as their last answer is out), and after `drainMs` whatever still runs is cut.
 */
export function drainableHttpServer(server: Server): { close(log: Logger, drainMs?: number): Promise<void> } {
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  return {
    async close(log, drainMs = HTTP_DRAIN_MS) {
      log.info({ inFlight: inFlight.size, drainMs }, 'HTTP: refusing new connections, finishing requests under way');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A keep-alive connection whose answer went out would otherwise stay open until its client
      // or the keep-alive timeout closes it, holding close() up.
      const idle = setInterval(() => server.closeIdleConnections(), 200);
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const cut = new Promise<'cut'>((resolve) => {
        timer = setTimeout(() => resolve('cut'), drainMs);
      });
      if ((await Promise.race([closed, cut])) === 'cut') {
        log.warn({ inFlight: inFlight.size, drainMs }, 'HTTP: requests still running at the deadline; closing them');
        server.closeAllConnections();
        await closed;
      }
      clearTimeout(timer);
      clearInterval(idle);
      log.info('HTTP: all connections closed');
    },
  };
}
